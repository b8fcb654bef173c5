namespace Distill.Student.Training;

/// <summary>One epoch's line of metrics.jsonl. Losses holds "loss" (the total) and each weighted part, averaged over samples.
/// Seconds is the training pass alone; EvalSeconds the test and validation evaluation after it.</summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Losses, double Lr,
    double? TestAcc, double? TestTop5, double? Agreement, double Seconds, double EvalSeconds = 0)
{
    /// <summary>Accuracy on the samples held out of the training split (<see cref="Recipe.ValFraction"/>), or null.</summary>
    public double? ValAcc { get; init; }
    public double? ValTop5 { get; init; }
    /// <summary>Agreement with the teacher's top-1 on the held-out samples (from the train cache), or null.</summary>
    public double? ValAgreement { get; init; }
}
