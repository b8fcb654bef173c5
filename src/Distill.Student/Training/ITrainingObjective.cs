using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>What the trainer minimizes. Built from the recipe (<see cref="RecipeObjective"/>); the trainer knows no loss by name.</summary>
public interface ITrainingObjective
{
    /// <summary>False for CE-only training: the trainer then skips building teacher tensors.</summary>
    bool NeedsTeacher { get; }

    /// <param name="epoch">Counts from 1.</param>
    ObjectiveStep Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor labels, int epoch);
}

/// <summary>
/// Total is the scalar to back-propagate; Parts are the weighted terms by name, for logging, as detached scalars on
/// the device (summed there, read once per epoch: no per-step wait for the device).
/// </summary>
public sealed record ObjectiveStep(Tensor Total, IReadOnlyDictionary<string, Tensor> Parts);
