using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// One batch as a loss sees it: the student output the term names (logits or a tap, after its adapter), the teacher
/// column it names, the labels, and the epoch (from 1). <see cref="WarmupFactor"/> is the term's warmup
/// min(epoch / warmup, 1). <see cref="Targets"/> holds named dataset targets beyond class labels (per-pixel masks and
/// boxes come with detection/segmentation datasets); a loss asks for them by name.
/// </summary>
public sealed record LossBatch(Tensor Student, TeacherTargets? Teacher, Tensor? Labels, int Epoch)
{
    public double WarmupFactor { get; init; } = 1.0;
    public IReadOnlyDictionary<string, Tensor> Targets { get; init; } = new Dictionary<string, Tensor>();

    /// <summary>The teacher column, or a clear error for a loss called without one.</summary>
    public TeacherTargets RequireTeacher(string loss) =>
        Teacher ?? throw new Distill.Data.DistillException($"loss '{loss}' needs a teacher column, but the batch has none");
}
