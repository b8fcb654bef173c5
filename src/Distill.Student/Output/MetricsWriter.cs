using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>metrics.jsonl (one line per epoch) and summary.json in the output directory, each written whole (<see cref="AtomicFile"/>).</summary>
public static class MetricsWriter
{
    public static string Line(EpochMetrics m)
    {
        var o = new JsonObject { ["epoch"] = m.Epoch };
        foreach (var (k, v) in m.Losses) o[k] = v;
        o["lr"] = m.Lr;
        foreach (var (k, v) in m.Test) o[k] = v;
        foreach (var (k, v) in m.Teacher) o[k] = v;
        o["seconds"] = Math.Round(m.Seconds, 3);
        o["eval_seconds"] = Math.Round(m.EvalSeconds, 3);
        return o.ToJsonString();
    }

    /// <summary>
    /// Rewrites metrics.jsonl with exactly these epochs (at the start, on resume and after every epoch): a few hundred
    /// bytes per epoch, and an append could leave half a line on a full disk.
    /// </summary>
    public static void Rewrite(string outDir, IEnumerable<EpochMetrics> history) =>
        AtomicFile.WriteText(Path.Combine(outDir, "metrics.jsonl"), string.Concat(history.Select(h => Line(h) + "\n")));

    /// <param name="teacherSha256s">The teachers the logits came from (the recipe's teacher may be a path or absent).</param>
    public static JsonObject Summary(IReadOnlyList<EpochMetrics> history, Recipe recipe, double wallSeconds, long parameters,
        IReadOnlyList<string> teacherSha256s)
    {
        var last = history[^1];
        var best = history.Where(h => h.TestAcc is not null).MaxBy(h => h.TestAcc!.Value);
        var losses = new JsonObject();
        foreach (var (k, v) in last.Losses) losses[k] = v;
        var summary = new JsonObject();
        // The last epoch's test metrics (final_test_acc, final_agreement, final_test_miou, ...), then the teacher's.
        foreach (var (k, v) in last.Test) summary["final_" + k] = v;
        foreach (var (k, v) in last.Teacher) summary[k] = v;
        if (best is not null)
        {
            summary["best_test_acc"] = best.TestAcc;
            summary["best_epoch"] = best.Epoch;
        }
        summary["epochs"] = history.Count;
        summary["final_losses"] = losses;
        summary["parameters"] = parameters;
        summary["wall_seconds"] = Math.Round(wallSeconds, 3);
        summary["teacher_sha256s"] = new JsonArray(teacherSha256s.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        summary["recipe"] = JsonNode.Parse(recipe.ToJson());
        return summary;
    }

    public static void WriteSummary(string outDir, JsonObject summary) =>
        AtomicFile.WriteText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
