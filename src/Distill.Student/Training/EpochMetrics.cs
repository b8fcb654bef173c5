namespace Distill.Student.Training;

/// <summary>One epoch's line of metrics.jsonl. Losses holds "loss" (the total) and each weighted part, averaged over samples.</summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Losses, double Lr,
    double? TestAcc, double? TestTop5, double? Agreement, double Seconds);
