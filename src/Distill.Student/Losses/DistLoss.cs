using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// DIST's parameters (Huang et al. 2022): β = 2 (inter-class), γ = 2 (intra-class), τ = 4 as in our reference table,
/// and <c>standardize</c> (<see cref="LogitStandardization"/>).
/// </summary>
public sealed record DistParameters : LossParameters
{
    public double Beta { get; init; } = 2.0;
    public double Gamma { get; init; } = 2.0;
    public double Temperature { get; init; } = 4.0;
    public bool Standardize { get; init; }

    public override void Validate(string loss)
    {
        NonNegative(loss, "beta", Beta);
        NonNegative(loss, "gamma", Gamma);
        PositiveTemperature(loss, Temperature);
    }
}

/// <summary>
/// DIST (Huang et al., NeurIPS 2022, "Knowledge Distillation from A Stronger Teacher"; seed 001):
/// τ² · (β · inter + γ · intra) with p = softmax(z/τ), inter = 1 − mean over rows of Pearson(p_s,i, p_t,i) and
/// intra = 1 − mean over classes (columns) of the same. Pearson(a, b) = cos(a − ā, b − b̄) with
/// cos = a·b / (‖a‖‖b‖ + 1e-8), as in the seed. The intra term needs a batch of at least 2.
/// <para>
/// Gradient in closed form. For one row (or column) with centred a, b, n = a·b, D = ‖a‖‖b‖ + ε:
/// ∂r/∂a = b/D − a · n‖b‖ / (D²‖a‖); a and b are centred, so this is already the gradient w.r.t. the uncentred p.
/// Then g_p = −τ² (β/B · ∂r_rows + γ/C · ∂r_cols), and through the softmax g_z = p ⊙ (g_p − Σ_c g_p p), ∂/∂s = g_z / τ.
/// </para>
/// On a top-K column it reads the reader's dense reconstruction (approximate).
/// </summary>
public sealed class DistLoss(DistParameters parameters) : DistillationLoss
{
    private const double Eps = 1e-8;

    public override string Name => "dist";
    public override LossParameters Parameters => parameters;
    public override TeacherUse TeacherUse => TeacherUse.Distribution | (parameters.Standardize ? TeacherUse.Moments : TeacherUse.None);
    public override int MinBatchRows => 2;

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student;
        long b = s.shape[0], c = s.shape[1];
        if (b < 2)
            throw new Distill.Data.DistillException($"loss 'dist' needs a batch of at least 2 rows (its intra-class term correlates columns), got {b}");
        using var scope = NewDisposeScope();
        double t = parameters.Temperature, beta = parameters.Beta, gamma = parameters.Gamma;
        var targets = batch.RequireTeacher(Name);
        var teacher = targets.Logits;
        if (parameters.Standardize) (s, teacher) = (LogitStandardization.Apply(s), targets.Standardized(s.dtype));
        Tensor value, grad;
        using (no_grad())
        {
            // Student rows [0, B) and teacher rows [B, 2B) go through the same kernels at once.
            var x = cat(new[] { s.detach(), teacher.to(s.dtype) }).mul_(1.0 / t);
            var p = LogSpace.Softmax(x);
            var p3 = p.view(2, b, c);

            var (rRows, dRows) = Pearson(p3, 2);   // per row: [2→1, B, 1]
            var (rCols, dCols) = Pearson(p3, 1);   // per column: [1, 1, C]
            var inter = rRows.mean().neg_().add_(1.0);
            var intra = rCols.mean().neg_().add_(1.0);
            value = inter.mul_(beta).add_(intra, gamma).mul_(t * t);

            // g_p = −τ² (β/B ∂r_rows + γ/C ∂r_cols); softmax backward; / τ.
            var gp = dRows.mul_(-t * t * beta / b).add_(dCols, -t * t * gamma / c).view(b, c);
            var ps = p.narrow(0, 0, b);
            var gz = gp.sub_((gp * ps).sum(1, keepdim: true)).mul_(ps);
            grad = gz.mul_(1.0 / t);
        }
        return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Pearson correlation of student (index 0 of dim 0) and teacher (index 1) along <paramref name="dim"/> of
    /// [2, B, C], and its gradient w.r.t. the student's values: r [1, …] and ∂r/∂p_s [1, B, C].
    /// </summary>
    private static (Tensor R, Tensor Grad) Pearson(Tensor p3, long dim)
    {
        var centred = p3 - p3.mean(new[] { dim }, keepdim: true);
        var norms = centred.norm((int)dim, keepdim: true);
        var a = centred.narrow(0, 0, 1); var bt = centred.narrow(0, 1, 1);
        var na = norms.narrow(0, 0, 1); var nb = norms.narrow(0, 1, 1);
        var n = (a * bt).sum(dim, keepdim: true);
        var d = (na * nb).add_(Eps);
        var r = n / d;
        // ∂r/∂a = b/D − a · n‖b‖/(D²‖a‖); where ‖a‖ = 0, n = 0 as well and the term is 0.
        var coef = r.mul(nb).div_(d).div_(na.clamp_min(1e-30));
        var grad = bt.div(d).sub_(a * coef);
        return (r, grad);
    }
}
