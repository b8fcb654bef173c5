using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>Everything written to the output directory besides weights and checkpoints.</summary>
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
        MetricsWriter.Append(_dir, m);
        _tb?.Scalars(m.Epoch, Scalars(m));
    }

    public void Finish(IReadOnlyList<EpochMetrics> history, Recipe recipe, double wall, long parameters, IReadOnlyList<string> teacherSha256s)
    {
        _tb?.Dispose();
        MetricsWriter.WriteSummary(_dir, MetricsWriter.Summary(history, recipe, wall, parameters, teacherSha256s));
        try { CurvePlot.Save(Path.Combine(_dir, "curves.png"), history); }
        catch (Exception e) when (e is not OutOfMemoryException) { Console.Error.WriteLine($"warning: curves.png not written ({e.Message})"); }
    }

    private static IEnumerable<(string, double)> Scalars(EpochMetrics m)
    {
        foreach (var (k, v) in m.Losses) yield return ($"train/{k}", v);
        yield return ("train/lr", m.Lr);
        if (m.TestAcc is { } a) yield return ("test/acc", a);
        if (m.TestTop5 is { } t5) yield return ("test/top5", t5);
        if (m.Agreement is { } ag) yield return ("test/agreement", ag);
        yield return ("time/epoch_seconds", m.Seconds);
    }
}
