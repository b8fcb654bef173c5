using System.Text.Json.Serialization;

namespace Distill.Student.Training;

/// <summary>
/// One epoch's line of metrics.jsonl. Losses holds "loss" (the total) and each weighted part, averaged over samples.
/// Test holds the student's test metrics by name (<see cref="IEvaluation"/>: test_acc, test_top5, agreement, test_miou,
/// test_map50; empty without evaluation), <see cref="Teacher"/> the teacher's on the same split (teacher_test_miou, ...).
/// Seconds is the training pass alone; EvalSeconds the test evaluation after it.
/// </summary>
public sealed record EpochMetrics(int Epoch, IReadOnlyDictionary<string, double> Losses, double Lr,
    IReadOnlyDictionary<string, double> Test, double Seconds, double EvalSeconds = 0)
{
    public IReadOnlyDictionary<string, double> Teacher { get; init; } = new Dictionary<string, double>();

    [JsonIgnore] public double? TestAcc => Value("test_acc");
    [JsonIgnore] public double? TestTop5 => Value("test_top5");
    [JsonIgnore] public double? Agreement => Value("agreement");

    private double? Value(string name) => Test.TryGetValue(name, out var v) ? v : null;
}
