using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>Cross-entropy on the true labels, mean over the batch, with optional label smoothing (Szegedy et al. 2016).</summary>
public sealed class CeLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "ce";
    public override bool NeedsLabels => true;
    public override bool NeedsTeacher => false;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        return nn.functional.cross_entropy(batch.StudentLogits, batch.Labels!, label_smoothing: Options.LabelSmoothing);
    }
}
