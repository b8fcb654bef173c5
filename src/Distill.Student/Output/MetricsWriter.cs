using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Student.Training;
using Distill.Data;

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
        if (m.ValAcc is not null)
        {
            o["val_acc"] = m.ValAcc;
            o["val_top5"] = m.ValTop5;
            o["val_agreement"] = m.ValAgreement;
        }
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
    /// <param name="end">What the run left: whether it exported ONNX and whether it stopped early.</param>
    public static JsonObject Summary(IReadOnlyList<EpochMetrics> history, Recipe recipe, double wallSeconds, long parameters,
        IReadOnlyList<string> teacherSha256s, RunEnd? end = null)
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
        if (last.ValAcc is not null)
        {
            summary["final_val_acc"] = last.ValAcc;
            summary["final_val_agreement"] = last.ValAgreement;
        }
        if (end is not null) summary["exports"] = Exports(history, end);
        if (end is { StoppedEarly: true }) summary["stopped_early"] = new JsonObject { ["after_epoch"] = last.Epoch, ["patience"] = recipe.EarlyStop };
        return summary;
    }

    /// <summary>
    /// Which epoch each of the run's exports is: "last" (OUT/model.dat and student.onnx) and "best" (OUT/best/, the
    /// epoch <see cref="BestEpoch"/> picks, with the metric it was picked by and its accuracies).
    /// </summary>
    private static JsonObject Exports(IReadOnlyList<EpochMetrics> history, RunEnd end)
    {
        JsonObject Export(EpochMetrics m, string dir)
        {
            string In(string file) => dir == "" ? file : $"{dir}/{file}";
            var o = new JsonObject { ["epoch"] = m.Epoch, ["weights"] = In(RunDirectory.ModelFile) };
            if (end.Exported) o["onnx"] = In(Distill.Student.Export.StudentExport.OnnxFile);
            o["val_acc"] = m.ValAcc;
            o["test_acc"] = m.TestAcc;
            return o;
        }
        var exports = new JsonObject { ["last"] = Export(history[^1], "") };
        if (BestEpoch.Of(history) is { } best)
        {
            var o = Export(best, Trainer.BestDirectory);
            o["selected_by"] = BestEpoch.Metric(history);
            exports["best"] = o;
        }
        return exports;
    }

    public static void WriteSummary(string outDir, JsonObject summary) =>
        AtomicFile.WriteText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
