using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Log-space building blocks shared by the losses (no log(softmax) anywhere), and the analytic-gradient helper.
/// Everything here is made of elementwise kernels and reductions: on small batches libtorch runs those on the calling
/// thread, whereas its softmax / log_softmax kernels open a parallel region per call (costly on a loaded machine).
/// </summary>
internal static class LogSpace
{
    /// <summary>
    /// Σ over all elements of p_t · (log p_t − log p_s) from log-probabilities, i.e. KL(p_t ‖ p_s) summed over rows.
    /// Uses kl_div with log targets, which is exp(lt)·(lt − ls) elementwise: finite whenever both are finite.
    /// </summary>
    public static Tensor KlSum(Tensor logStudent, Tensor logTeacher) =>
        nn.functional.kl_div(logStudent, logTeacher, reduction: nn.Reduction.Sum, log_target: true);

    /// <summary>log_softmax over dim 1 as z − logsumexp(z) (max-shifted inside logsumexp).</summary>
    public static Tensor LogSoftmax(Tensor z) => z - z.logsumexp(1, keepdim: true);

    /// <summary>
    /// log_softmax and softmax over dim 1 together. Small tensors: max-shifted z − m − log Σ exp(z − m) and
    /// exp(z − m) / Σ exp(z − m) from elementwise kernels and reductions that libtorch runs on the calling thread
    /// (<see cref="Exp"/>, <see cref="LogOfAtLeastOne"/>); its fused softmax kernels open a parallel region per call,
    /// which costs more than the math at 128 × 10. Large tensors: the fused log_softmax, then exp.
    /// </summary>
    public static (Tensor LogP, Tensor P) LogSoftmaxAndSoftmax(Tensor z)
    {
        if (z.numel() > SmallTensor)
        {
            var logP = nn.functional.log_softmax(z, 1);
            return (logP, logP.exp());
        }
        var shifted = z - z.amax(new long[] { 1 }, keepdim: true);
        var e = Exp(shifted);
        var sum = e.sum(1, keepdim: true);
        return (shifted.sub_(LogOfAtLeastOne(sum)), e.div_(sum));
    }

    /// <summary>softmax over dim 1, with the same small/large choice as <see cref="LogSoftmaxAndSoftmax"/>.</summary>
    public static Tensor Softmax(Tensor z)
    {
        if (z.numel() > SmallTensor) return nn.functional.softmax(z, 1);
        var e = Exp(z - z.amax(new long[] { 1 }, keepdim: true));
        return e.div_(e.sum(1, keepdim: true));
    }

    /// <summary>Element count up to which <see cref="LogSoftmaxAndSoftmax"/> avoids the fused kernels.</summary>
    public const long SmallTensor = 1 << 16;

    /// <summary>
    /// logsumexp over dim 1 (keepdim) and softmax, sharing one exp pass: m + log Σ exp(z − m), exp(z − m) / Σ.
    /// Rows may hold −∞ (masked classes) as long as one entry is finite.
    /// </summary>
    public static (Tensor Lse, Tensor P) LogSumExpAndSoftmax(Tensor z)
    {
        var max = z.amax(new long[] { 1 }, keepdim: true);
        var e = Exp(z - max);
        var sum = e.sum(1, keepdim: true);
        return (LogOfAtLeastOne(sum).add_(max), e.div_(sum));
    }

    private const double Log2E = 1.4426950408889634;

    /// <summary>
    /// exp(x) as exp2(x · log2 e). libtorch 2.10's exp, log and sqrt kernels enter an OpenMP parallel region on every
    /// call, even for 128 elements (about 5 µs on an idle machine, far more on a busy one); exp2 and log1p do not.
    /// The extra rounding of x · log2 e is below 1e-13 relative in float64 for the |x| ≤ 700 that do not underflow.
    /// </summary>
    public static Tensor Exp(Tensor x) => numel(x) > SmallTensor ? x.exp() : x.mul(Log2E).exp2_();

    /// <summary>log(s) for s ≥ 1 (a max-shifted sum of exponentials) as log1p(s − 1); s − 1 is exact there.</summary>
    public static Tensor LogOfAtLeastOne(Tensor s) => s.numel() > SmallTensor ? s.log() : s.sub(1.0).log1p_();

    private static long numel(Tensor x) => x.numel();

    /// <summary>Boolean [B, C] mask of each row's label.</summary>
    public static Tensor LabelMask(Tensor labels, long classes, Device device) =>
        zeros(labels.shape[0], classes, ScalarType.Bool, device).scatter_(1, labels.view(-1, 1),
            ones(labels.shape[0], 1, ScalarType.Bool, device));

    public static void RequireLabels(LossBatch batch, string loss)
    {
        if (batch.Labels is null) throw new Distill.Data.DistillException($"loss '{loss}' needs labels, but the data has none");
    }

    /// <summary>
    /// A scalar whose value is exactly <paramref name="value"/> and whose gradient with respect to
    /// <paramref name="student"/> is <paramref name="gradient"/> (both computed without autograd): value + (y − y.detach())
    /// with y = ⟨student, gradient⟩. y − y.detach() is exactly 0, so the value is bit-identical, and backward costs one
    /// multiply instead of replaying every forward kernel. Used by the losses whose gradient has a closed form (kd, dkd,
    /// dist); the forms are checked against PyTorch's autograd by the golden tests.
    /// </summary>
    public static Tensor WithGradient(Tensor value, Tensor student, Tensor gradient)
    {
        if (!student.requires_grad || !is_grad_enabled()) return value;
        var y = student.reshape(-1).dot(gradient.reshape(-1));
        return value + (y - y.detach());
    }
}
