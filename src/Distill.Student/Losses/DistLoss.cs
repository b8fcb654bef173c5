using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// DIST (Huang et al., NeurIPS 2022, "Knowledge Distillation from A Stronger Teacher"; seed 001):
/// τ² · (β · inter + γ · intra) with p = softmax(z/τ), inter = 1 − mean over rows of Pearson(p_s,i, p_t,i) and
/// intra = 1 − mean over classes (columns) of the same. Pearson(a, b) = cos(a − ā, b − b̄) with
/// cos = a·b / (‖a‖‖b‖ + 1e-8), as in the seed. The intra term needs a batch of at least 2.
/// Uses Temperature (τ), Beta, Gamma.
/// </summary>
public sealed class DistLoss(LossOptions options) : DistillationLoss(options)
{
    private const double Eps = 1e-8;

    public override string Name => "dist";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.StudentLogits;
        if (s.shape[0] < 2)
            throw new Distill.Data.DistillException($"loss 'dist' needs a batch of at least 2 rows (its intra-class term correlates columns), got {s.shape[0]}");
        double t = Options.Temperature;
        Tensor pt;
        using (no_grad()) pt = nn.functional.softmax(batch.Teacher.DenseLogits().to(s.dtype) / t, 1);
        var ps = nn.functional.softmax(s / t, 1);
        var inter = 1 - Pearson(ps, pt).mean();
        var intra = 1 - Pearson(ps.t(), pt.t()).mean();
        return (inter * Options.Beta + intra * Options.Gamma) * (t * t);
    }

    private static Tensor Pearson(Tensor a, Tensor b)
    {
        var ac = a - a.mean(new long[] { 1 }, keepdim: true);
        var bc = b - b.mean(new long[] { 1 }, keepdim: true);
        return (ac * bc).sum(1) / (ac.norm(1) * bc.norm(1) + Eps);
    }
}
