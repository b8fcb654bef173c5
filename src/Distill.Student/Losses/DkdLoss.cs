using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>DKD's parameters (Zhao et al. 2022, mdistiller's CIFAR defaults): α = 1 (TCKD), β = 8 (NCKD), T = 4, and
/// <c>standardize</c> (<see cref="LogitStandardization"/>).</summary>
public sealed record DkdParameters : LossParameters
{
    public double Alpha { get; init; } = 1.0;
    public double Beta { get; init; } = 8.0;
    public double Temperature { get; init; } = 4.0;
    public bool Standardize { get; init; }

    public override void Validate(string loss)
    {
        NonNegative(loss, "alpha", Alpha);
        NonNegative(loss, "beta", Beta);
        PositiveTemperature(loss, Temperature);
    }
}

/// <summary>
/// Decoupled KD (Zhao et al., CVPR 2022, "Decoupled Knowledge Distillation"; seed 000 / mdistiller's dkd_loss):
/// (α · TCKD + β · NCKD) · T² / B, times the term's warmup factor min(epoch/warmup, 1) (<see cref="Warmup"/>, epochs from 1),
/// folded into the closed-form scale.
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
/// On a top-K column it reads the reader's dense reconstruction; with the label's logit stored the target class is exact.
/// </summary>
public sealed class DkdLoss(DkdParameters parameters) : DistillationLoss
{
    public override string Name => "dkd";
    public override LossParameters Parameters => parameters;
    public override bool NeedsLabels => true;
    public override TeacherUse TeacherUse =>
        TeacherUse.Distribution | TeacherUse.TargetClass | (parameters.Standardize ? TeacherUse.Moments : TeacherUse.None);
    public override bool AppliesWarmup => true;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        using var scope = NewDisposeScope();
        double t = parameters.Temperature, alpha = parameters.Alpha, beta = parameters.Beta;
        var s = batch.Student;
        long b = s.shape[0], c = s.shape[1];
        double scale = t * t / b * batch.WarmupFactor;
        Tensor value, grad;
        var targets = batch.RequireTeacher(Name);
        var teacher = targets.Logits;
        if (parameters.Standardize) (s, teacher) = (LogitStandardization.Apply(s), targets.Standardized(s.dtype));
        if (CpuLossKernels.Applies(s, teacher))
        {
            (value, grad) = CpuLossKernels.Dkd(s, teacher, batch.Labels!, t, alpha, beta, scale);
            return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
        }
        using (no_grad())
        {
            // Student rows [0, B) and teacher rows [B, 2B) go through the same kernels at once.
            var labels = batch.Labels!.view(-1, 1);
            var labels2 = cat(new[] { labels, labels });
            var x = cat(new[] { s.detach(), teacher.to(s.dtype) }).mul_(1.0 / t);
            var (lse, q) = LogSpace.LogSumExpAndSoftmax(x);                      // q = softmax(z)
            var xMasked = x.scatter(1, labels2, full(2 * b, 1, double.NegativeInfinity, x.dtype, x.device)); // target → −∞
            var (lseOther, pHat) = LogSpace.LogSumExpAndSoftmax(xMasked);      // q̸ (student rows), p̂_t (teacher rows), 0 at gt
            // log b = [z_gt − L, L̸ − L] and log p̂ = z − L̸ (finite at gt; p̂_gt = exp(−∞) = 0 below).
            var logB = cat(new[] { x.gather(1, labels2), lseOther }, 1).sub_(lse);
            var logPHat = x - lseOther;
            Tensor Student(Tensor a) => a.narrow(0, 0, b);
            Tensor Teacher(Tensor a) => a.narrow(0, b, b);

            var bt = LogSpace.Exp(Teacher(logB));
            var tckd = bt.reshape(-1).dot((Teacher(logB) - Student(logB)).reshape(-1));
            var pHatT = Teacher(pHat);
            var nckd = pHatT.reshape(-1).dot((Teacher(logPHat) - Student(logPHat)).reshape(-1));
            value = tckd.mul_(alpha).add_(nckd, beta).mul_(scale);

            // ∂/∂z = α(q − b_t,gt e_gt − b_t,other q̸) + β(q̸ − p̂_t), then · T²/B / T.
            var g = Student(q).mul_(alpha);
            g.add_(Student(pHat).mul(bt.narrow(1, 1, 1).mul(-alpha).add_(beta))).add_(pHatT, -beta);
            g.scatter_add_(1, labels, bt.narrow(1, 0, 1).mul(-alpha));
            grad = g.mul_(scale / t);
        }
        return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
    }
}
