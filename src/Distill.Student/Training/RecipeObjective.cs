using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>The recipe's loss as <see cref="ITrainingObjective"/>: <see cref="CombinedObjective.FromRecipe"/> does the naming.</summary>
public sealed class RecipeObjective : ITrainingObjective
{
    private readonly CombinedObjective _objective;

    public RecipeObjective(Recipe r)
    {
        var (ce, kd) = DefaultWeights(r);
        var options = new LossOptions
        {
            Temperature = r.Temperature, Alpha = r.Alpha, Beta = r.Beta, Gamma = r.Gamma,
            Warmup = r.Warmup, LabelSmoothing = r.LabelSmoothing,
        };
        _objective = CombinedObjective.FromRecipe(r.Loss, ce, kd, options);
    }

    /// <summary>Weights when the recipe leaves them out: kd 0.1/0.9 (Hinton), ce 1/0, every other loss 1/1.</summary>
    public static (double Ce, double Kd) DefaultWeights(Recipe r) => (
        r.CeWeight ?? (r.Loss == "kd" ? 0.1 : 1.0),
        r.KdWeight ?? (r.Loss switch { "kd" => 0.9, "ce" => 0.0, _ => 1.0 }));

    public bool NeedsTeacher => _objective.NeedsTeacher;

    public ObjectiveStep Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor labels, int epoch)
    {
        var teacher = teacherLogits is null ? null! : TeacherTargets.FromLogits(teacherLogits);
        var result = _objective.Compute(new LossBatch(studentLogits, teacher, labels, epoch));
        return new ObjectiveStep(result.Total, result.PartTensors);
    }
}
