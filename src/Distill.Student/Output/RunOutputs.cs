using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>
/// Everything written to the output directory besides weights and checkpoints: metrics.jsonl (rewritten whole each
/// epoch), TensorBoard events (appended record by record), and at the end curves.png and summary.json, which is
/// written last and marks the run finished.
/// </summary>
public sealed class RunOutputs
{
    private readonly string _dir;
    private TensorBoardWriter? _tb;

    public RunOutputs(string dir) { _dir = dir; Directory.CreateDirectory(dir); }

    public void Start(IReadOnlyList<EpochMetrics> history)
    {
        MetricsWriter.Rewrite(_dir, history);
        _tb = new TensorBoardWriter(_dir);
    }

    public void Epoch(EpochMetrics m, IReadOnlyList<EpochMetrics> history)
    {
        MetricsWriter.Rewrite(_dir, history);
        _tb?.Scalars(m.Epoch, Scalars(m));
    }

    /// <summary>curves.png, then summary.json: call once everything else of the run is written.</summary>
    public void Finish(IReadOnlyList<EpochMetrics> history, Recipe recipe, double wall, long parameters, IReadOnlyList<string> teacherSha256s,
        RunEnd? end = null)
    {
        _tb?.Dispose();
        try { CurvePlot.Save(Path.Combine(_dir, "curves.png"), history, CurvePlot.Title(recipe)); }
        catch (Exception e) when (e is not (DistillException or OutOfMemoryException))
        {
            // Drawing (fonts, native rendering) may fail on a bare server; the numbers are in metrics.jsonl.
            Console.Error.WriteLine($"warning: curves.png not written ({e.Message.Split('\n')[0]})");
        }
        MetricsWriter.WriteSummary(_dir, MetricsWriter.Summary(history, recipe, wall, parameters, teacherSha256s, end));
    }

    private static IEnumerable<(string, double)> Scalars(EpochMetrics m)
    {
        foreach (var (k, v) in m.Losses) yield return ($"train/{k}", v);
        yield return ("train/lr", m.Lr);
        // test/acc, test/top5, test/agreement, test/miou, test/map50; the teacher's as teacher/test_miou, ...
        foreach (var (k, v) in m.Test) yield return ("test/" + (k.StartsWith("test_", StringComparison.Ordinal) ? k[5..] : k), v);
        foreach (var (k, v) in m.Teacher) yield return ("teacher/" + (k.StartsWith("teacher_", StringComparison.Ordinal) ? k[8..] : k), v);
        if (m.ValAcc is { } va) yield return ("val/acc", va);
        if (m.ValTop5 is { } vt5) yield return ("val/top5", vt5);
        if (m.ValAgreement is { } vag) yield return ("val/agreement", vag);
        yield return ("time/epoch_seconds", m.Seconds);
    }
}

/// <summary>How a run ended, for summary.json: whether it exported ONNX (last and best) and whether it stopped early.</summary>
public sealed record RunEnd(bool Exported, bool StoppedEarly);
