using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Base class of every loss: one file per loss (with its parameter record), one line in <see cref="LossRegistry"/>.
/// Returns a scalar tensor whose gradient flows into <see cref="LossBatch.Student"/>. The trainer knows no loss by name:
/// it asks the loss what it needs (labels, a teacher column and what of it, <see cref="TeacherUse"/>) and which shapes it pairs.
/// </summary>
public abstract class DistillationLoss
{
    /// <summary>Registry name (e.g. "kd").</summary>
    public abstract string Name { get; }

    /// <summary>The bound parameter record (recorded with the run).</summary>
    public abstract LossParameters Parameters { get; }

    /// <summary>True when the loss reads the true labels (CE, DKD, ADKD).</summary>
    public virtual bool NeedsLabels => false;

    /// <summary>
    /// Named dataset targets the loss reads besides class labels (e.g. "mask", "boxes" for segmentation and detection
    /// losses); <see cref="LossBatch.Targets"/> holds them. A dataset that does not provide one is refused when the
    /// objective is bound.
    /// </summary>
    public virtual IReadOnlyList<string> DatasetTargets => Array.Empty<string>();

    /// <summary>
    /// For losses that read <see cref="DatasetTargets"/>: why the student output <paramref name="output"/> of per-sample
    /// shape <paramref name="student"/> cannot be trained against them as <paramref name="layout"/> describes, or null.
    /// Called once when the objective is bound; a loss that assigns boxes to a detection head keeps its layout here.
    /// </summary>
    public virtual string? BindTargets(string output, long[] student, DenseTargetLayout layout) => null;

    /// <summary>False only for losses that ignore the teacher (CE).</summary>
    public virtual bool NeedsTeacher => true;

    /// <summary>
    /// What the loss reads from its teacher column: every value as such by default (a top-K column is refused), the
    /// class distribution for kd/dkd/dist (a top-K column serves it approximately), plus the label's probability (dkd)
    /// and each row's mean and std (with <c>standardize</c>). Judged against the cache by <see cref="Terms.CacheSupport"/>.
    /// </summary>
    public virtual TeacherUse TeacherUse => NeedsTeacher ? TeacherUse.Values : TeacherUse.None;

    /// <summary>Rows a batch needs at least (DIST's intra-class term correlates columns: 2).</summary>
    public virtual int MinBatchRows => 1;

    /// <summary>
    /// True when the loss multiplies itself by <see cref="LossBatch.WarmupFactor"/> (DKD folds it into its closed-form
    /// scale); otherwise the term multiplies the value.
    /// </summary>
    public virtual bool AppliesWarmup => false;

    /// <summary>
    /// Why a student output of per-sample shape <paramref name="student"/> cannot be paired with a teacher column of
    /// shape <paramref name="teacher"/>, or null when it can. Default: class logits [C] on both sides.
    /// </summary>
    public virtual string? ShapeProblem(long[] student, long[] teacher) =>
        student.Length == 1 && student.SequenceEqual(teacher) ? null : "it takes class logits [C] on both sides";

    public abstract Tensor Forward(LossBatch batch);
}
