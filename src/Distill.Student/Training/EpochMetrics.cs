using System.Text.Json.Serialization;

namespace Distill.Student.Training;

/// <summary>
/// One epoch's line of metrics.jsonl. Losses holds "loss" (the total) and each weighted part, averaged over samples.
/// Test holds the student's test metrics by name (<see cref="IEvaluation"/>: test_acc, test_top5, agreement, test_miou,
/// test_map50; empty without evaluation), <see cref="Teacher"/> the teacher's on the same split (teacher_test_miou, ...).
/// Seconds is the training pass alone; EvalSeconds the test and validation evaluation after it.
/// </summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Losses, double Lr,
    IReadOnlyDictionary<string, double> Test, double Seconds, double EvalSeconds = 0)
{
    public IReadOnlyDictionary<string, double> Teacher { get; init; } = new Dictionary<string, double>();

    /// <summary>Accuracy on the samples held out of the training split (<see cref="Recipe.ValFraction"/>), or null.</summary>
    public double? ValAcc { get; init; }
    public double? ValTop5 { get; init; }
    /// <summary>Agreement with the teacher's top-1 on the held-out samples (from the train cache), or null.</summary>
    public double? ValAgreement { get; init; }

    /// <summary>The classification metrics that have properties of their own here; the rest of <see cref="Test"/> is by name only.</summary>
    public static readonly IReadOnlyList<string> Classification = new[] { "test_acc", "test_top5", "agreement" };

    [JsonIgnore] public double? TestAcc => Value("test_acc");
    [JsonIgnore] public double? TestTop5 => Value("test_top5");
    [JsonIgnore] public double? Agreement => Value("agreement");

    private double? Value(string name) => Test.TryGetValue(name, out var v) ? v : null;
}
