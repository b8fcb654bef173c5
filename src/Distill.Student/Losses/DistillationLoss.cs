using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Base class of every loss: one file per loss, one line in <see cref="LossRegistry"/>. Returns a scalar tensor
/// whose gradient flows into <see cref="LossBatch.StudentLogits"/>. The trainer knows no loss by name.
/// </summary>
public abstract class DistillationLoss
{
    protected DistillationLoss(LossOptions options) => Options = options.Validated();

    public LossOptions Options { get; }

    /// <summary>Registry name (e.g. "kd").</summary>
    public abstract string Name { get; }

    /// <summary>True when the loss reads the true labels (CE, DKD, ADKD).</summary>
    public virtual bool NeedsLabels => false;

    /// <summary>False only for losses that ignore the teacher (CE).</summary>
    public virtual bool NeedsTeacher => true;

    public abstract Tensor Forward(LossBatch batch);
}
