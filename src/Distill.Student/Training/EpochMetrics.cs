namespace Distill.Student.Training;

/// <summary>One epoch's line of metrics.jsonl. Losses holds "loss" (the total) and each weighted part, averaged over samples.
/// Seconds is the training pass alone; EvalSeconds the test evaluation after it.</summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Losses, double Lr,
    double? TestAcc, double? TestTop5, double? Agreement, double Seconds, double EvalSeconds = 0);
