using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Seed 003's segmentation logit distillation for dense outputs [N, C, H, W]: KLDivLoss(reduction='mean') between
/// log_softmax(s/T) and softmax(t/T) over C, times T². Note 'mean' averages over all N·C·H·W elements, as the seed
/// does (not per pixel). Uses Temperature.
/// </summary>
public sealed class SegKlLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "seg_kl";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.StudentLogits;
        double t = Options.Temperature;
        Tensor logTeacher;
        using (no_grad()) logTeacher = nn.functional.log_softmax(batch.Teacher.Dense(Name).to(s.dtype) / t, 1);
        var kl = nn.functional.kl_div(nn.functional.log_softmax(s / t, 1), logTeacher, reduction: nn.Reduction.Sum, log_target: true);
        return kl * (t * t / s.numel());
    }
}
