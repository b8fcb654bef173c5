namespace Distill.Student.Training;

/// <summary>
/// Which epoch a run keeps as its best (<c>best/</c>) and when it stops early: the highest validation accuracy, else
/// (no validation split) the highest test accuracy, the earliest epoch on ties. Derived from the history alone, so a
/// resumed run decides as the uninterrupted one did.
/// </summary>
public static class BestEpoch
{
    /// <summary>"val_acc", "test_acc", or null when the run measures neither.</summary>
    public static string? Metric(IReadOnlyList<EpochMetrics> history) =>
        history.Any(h => h.ValAcc is not null) ? "val_acc" : history.Any(h => h.TestAcc is not null) ? "test_acc" : null;

    public static double? Score(EpochMetrics m, string metric) => metric == "val_acc" ? m.ValAcc : m.TestAcc;

    /// <summary>The best epoch so far, or null when no epoch has the metric.</summary>
    public static EpochMetrics? Of(IReadOnlyList<EpochMetrics> history)
    {
        if (Metric(history) is not { } metric) return null;
        EpochMetrics? best = null;
        foreach (var h in history)
            if (Score(h, metric) is double s && (best is null || s > Score(best, metric)!.Value)) best = h;
        return best;
    }

    /// <summary>True when the last <paramref name="patience"/> epochs brought no improvement (0: never stop).</summary>
    public static bool ShouldStop(IReadOnlyList<EpochMetrics> history, int patience) =>
        patience > 0 && history.Count > 0 && Of(history) is { } best && history[^1].Epoch - best.Epoch >= patience;
}
