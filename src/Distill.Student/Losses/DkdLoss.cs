using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Decoupled KD (Zhao et al., CVPR 2022, "Decoupled Knowledge Distillation"; seed 000 / mdistiller's dkd_loss):
/// (α · TCKD + β · NCKD) · T² / B, times the warmup factor min(epoch/warmup, 1) (<see cref="Warmup"/>, epochs from 1)
/// when <see cref="LossOptions.Warmup"/> &gt; 0.
/// <para>
/// TCKD is KL(b_t ‖ b_s) between the binary distributions b = [p_gt, 1 − p_gt]; NCKD is KL(p̂_t ‖ p̂_s) between the
/// distributions over the non-target classes only. With z = s/T, L = logsumexp(z), L̸ = logsumexp over c ≠ gt (the
/// target masked to −∞): log b_gt = z_gt − L, log b_other = L̸ − L, log p̂_c = z_c − L̸ for c ≠ gt. The target class's
/// NCKD term is zero because its teacher weight p̂_t,gt = exp(−∞ − L̸_t) is exactly 0 (no seed-style −1000·mask, no
/// log(softmax), which overflow for large logits). With C = 2, NCKD is 0.
/// </para>
/// <para>
/// Gradient in closed form (the teacher sums Σb_t = Σp̂_t = 1): with q = softmax(z), q̸ = softmax over c ≠ gt (0 at gt),
/// ∂L/∂s = (T/B) · [α (q − b_t,gt·e_gt − b_t,other·q̸) + β (q̸ − p̂_t)].
/// </para>
/// Accepts top-K teachers. Uses Temperature, Alpha, Beta, Warmup.
/// </summary>
public sealed class DkdLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "dkd";
    public override bool NeedsLabels => true;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        using var scope = NewDisposeScope();
        double t = Options.Temperature, alpha = Options.Alpha, beta = Options.Beta;
        var s = batch.StudentLogits;
        long b = s.shape[0], c = s.shape[1];
        double scale = t * t / b * Warmup.Factor(batch.Epoch, Options.Warmup);
        Tensor value, grad;
        using (no_grad())
        {
            var labels = batch.Labels!.view(-1, 1);
            var mask = LogSpace.LabelMask(batch.Labels!, c, s.device);

            // Teacher: log b_t (gt, other), and the non-target distribution p̂_t (exactly 0 at gt).
            var zt = batch.Teacher.DenseLogits().to(s.dtype) * (1.0 / t);
            var lt = zt.logsumexp(1, keepdim: true);
            var ztMasked = zt.masked_fill(mask, double.NegativeInfinity);
            var ltOther = ztMasked.logsumexp(1, keepdim: true);
            var logBtGt = zt.gather(1, labels) - lt;
            var logBtOther = ltOther - lt;
            var btGt = logBtGt.exp();
            var btOther = logBtOther.exp();
            var pHatT = ztMasked.sub_(ltOther).exp_();          // in place: ztMasked is not used again

            // Student.
            var z = s * (1.0 / t);
            var ls = z.logsumexp(1, keepdim: true);
            var zMasked = z.masked_fill(mask, double.NegativeInfinity);
            var lsOther = zMasked.logsumexp(1, keepdim: true);
            var logBsGt = z.gather(1, labels) - ls;
            var logBsOther = lsOther - ls;

            // TCKD: Σ_rows b_t·(log b_t − log b_s) over {gt, other}; NCKD: Σ p̂_t·(log p̂_t − log p̂_s), where the
            // target column has p̂_t = 0 and finite logs (z_gt − L̸), so its term is exactly 0.
            var tckd = (btGt * (logBtGt - logBsGt) + btOther * (logBtOther - logBsOther)).sum();
            var nckd = pHatT.reshape(-1).dot(((zt - ltOther) - (z - lsOther)).reshape(-1));
            value = (tckd * alpha + nckd * beta).mul_(scale);

            // Gradient w.r.t. z, then / T: α(q − b_t,gt e_gt − b_t,other q̸) + β(q̸ − p̂_t).
            var q = (z - ls).exp_();
            var qOther = zMasked.sub_(lsOther).exp_();           // 0 at gt
            var g = q.mul_(alpha).add_(qOther.mul_(beta - alpha * btOther)).sub_(pHatT.mul_(beta));
            g.scatter_add_(1, labels, btGt.mul_(-alpha));
            grad = g.mul_(scale / t);
        }
        return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
    }
}
