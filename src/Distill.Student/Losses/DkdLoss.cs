using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Decoupled KD (Zhao et al., CVPR 2022, "Decoupled Knowledge Distillation"; seed 000 / mdistiller's dkd_loss):
/// (α · TCKD + β · NCKD) · T² / B.
/// TCKD is the KL between the binary distributions [p_gt, 1 − p_gt] of teacher and student; NCKD the KL between the
/// distributions over the non-target classes only. In log space: log p_gt = z_gt/T − logsumexp(z/T),
/// log p_other = logsumexp_{c≠gt}(z/T) − logsumexp(z/T), and the non-target distribution is log_softmax over z/T with
/// the target masked to −∞, whose term is then zeroed (instead of the seed's −1000·mask and log(softmax), which
/// overflow for large logits). With C = 2, NCKD is 0. The factor min(epoch/warmup, 1) (<see cref="Warmup"/>) applies
/// when <see cref="LossOptions.Warmup"/> &gt; 0. Uses Temperature, Alpha, Beta, Warmup.
/// </summary>
public sealed class DkdLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "dkd";
    public override bool NeedsLabels => true;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        double t = Options.Temperature;
        var s = batch.StudentLogits;
        long b = s.shape[0], c = s.shape[1];
        var labels = batch.Labels!.view(-1, 1);
        var mask = LogSpace.LabelMask(batch.Labels!, c, s.device);

        // Teacher side: no gradient.
        Tensor tBinary, tOther;
        using (no_grad())
        {
            var zt = batch.Teacher.DenseLogits().to(s.dtype) / t;
            var lse = zt.logsumexp(1, keepdim: true);
            var masked = zt.masked_fill(mask, double.NegativeInfinity);
            var lseOther = masked.logsumexp(1, keepdim: true);
            tBinary = cat(new[] { zt.gather(1, labels) - lse, lseOther - lse }, 1);
            tOther = masked - lseOther;
        }

        var zs = s / t;
        var sLse = zs.logsumexp(1, keepdim: true);
        var sMasked = zs.masked_fill(mask, double.NegativeInfinity);
        var sLseOther = sMasked.logsumexp(1, keepdim: true);
        var sBinary = cat(new[] { zs.gather(1, labels) - sLse, sLseOther - sLse }, 1);
        var tckd = LogSpace.KlSum(sBinary, tBinary);

        // exp(−∞)·(−∞ − (−∞)) is NaN at the target class: those terms are defined as 0.
        var sOther = sMasked - sLseOther;
        var nckd = nn.functional.kl_div(sOther, tOther, reduction: nn.Reduction.None, log_target: true).masked_fill(mask, 0).sum();

        double scale = t * t / b * Warmup.Factor(batch.Epoch, Options.Warmup);
        return (tckd * Options.Alpha + nckd * Options.Beta) * scale;
    }
}
