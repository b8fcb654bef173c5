using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// kd, dkd and dist compute their gradients in closed form (no autograd graph). Here they are checked against the
/// same formulas written with autograd (log space, −∞ masking; what the library did before it was optimised) on
/// random cases of many shapes, scales, temperatures, top-K teachers and both dtypes.
/// </summary>
[TestClass]
public sealed class ClosedFormGradientTests
{
    private static Tensor KdAutograd(Tensor s, Tensor t, double temp)
    {
        var ls = nn.functional.log_softmax(s / temp, 1);
        var lt = nn.functional.log_softmax(t / temp, 1);
        return nn.functional.kl_div(ls, lt, reduction: nn.Reduction.Sum, log_target: true) * (temp * temp / s.shape[0]);
    }

    private static Tensor DkdAutograd(Tensor s, Tensor t, Tensor y, double alpha, double beta, double temp)
    {
        var mask = nn.functional.one_hot(y, s.shape[1]).to_type(ScalarType.Bool);
        var labels = y.view(-1, 1);
        (Tensor Binary, Tensor Other) Parts(Tensor z)
        {
            var lse = z.logsumexp(1, keepdim: true);
            var masked = z.masked_fill(mask, double.NegativeInfinity);
            var lseOther = masked.logsumexp(1, keepdim: true);
            return (cat(new[] { z.gather(1, labels) - lse, lseOther - lse }, 1), masked - lseOther);
        }
        var (sb, so) = Parts(s / temp);
        var (tb, to) = Parts(t / temp);
        var tckd = nn.functional.kl_div(sb, tb, reduction: nn.Reduction.Sum, log_target: true);
        var nckd = nn.functional.kl_div(so, to, reduction: nn.Reduction.None, log_target: true).masked_fill(mask, 0).sum();
        return (tckd * alpha + nckd * beta) * (temp * temp / s.shape[0]);
    }

    private static Tensor Pearson(Tensor a, Tensor b)
    {
        var ac = a - a.mean(new long[] { 1 }, keepdim: true);
        var bc = b - b.mean(new long[] { 1 }, keepdim: true);
        return (ac * bc).sum(1) / (ac.norm(1) * bc.norm(1) + 1e-8);
    }

    private static Tensor DistAutograd(Tensor s, Tensor t, double beta, double gamma, double temp)
    {
        var ps = nn.functional.softmax(s / temp, 1);
        var pt = nn.functional.softmax(t / temp, 1);
        return ((1 - Pearson(ps, pt).mean()) * beta + (1 - Pearson(ps.t(), pt.t()).mean()) * gamma) * (temp * temp);
    }

    private static (double Value, Tensor Grad) Run(Func<Tensor, Tensor> loss, Tensor s0)
    {
        var s = s0.detach().clone().requires_grad_(true);
        var v = loss(s);
        v.backward();
        return (v.to_type(ScalarType.Float64).item<double>(), s.grad!.to_type(ScalarType.Float64));
    }

    private static void AssertClose(string what, (double Value, Tensor Grad) ours, (double Value, Tensor Grad) oracle, double tol)
    {
        Assert.IsTrue(double.IsFinite(ours.Value) && ours.Grad.isfinite().all().item<bool>(), $"{what}: finite");
        Assert.AreEqual(oracle.Value, ours.Value, tol * Math.Max(1e-3, Math.Abs(oracle.Value)), $"{what}: value");
        // Floor: with C = 2 or B = 2 Pearson is ±1 and DIST's gradient is nearly 0 (only ε keeps it alive).
        double scale = Math.Max(oracle.Grad.abs().max().item<double>(), 1e-4);
        double err = (ours.Grad - oracle.Grad).abs().max().item<double>() / scale;
        Assert.IsTrue(err <= tol, $"{what}: gradient off by {err:E2} of its scale");
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow(2, 2, 1.0, 3.0)] [DataRow(8, 10, 4.0, 3.0)] [DataRow(128, 10, 4.0, 5.0)] [DataRow(33, 100, 1.0, 10.0)]
    [DataRow(16, 1000, 2.0, 3.0)] [DataRow(4, 32000, 1.0, 3.0)] [DataRow(64, 1100, 4.0, 3.0)] [DataRow(6, 7, 1.0, 1e3)]
    public void ClosedFormsMatchAutograd(int b, int c, double temp, double scale)
    {
        CheckClosedForms(b, c, temp, scale);                        // fused CPU kernels where small, tensor path otherwise
        using (CpuLossKernels.DisableOnThisThread()) CheckClosedForms(b, c, temp, scale);   // tensor path everywhere
    }

    private static void CheckClosedForms(int b, int c, double temp, double scale)
    {
        using var scope = NewDisposeScope();
        manual_seed(b * 1000 + c);
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            double tol = dtype == ScalarType.Float64 ? 1e-10 : 2e-4;
            var s = (randn(b, c, ScalarType.Float64) * scale).to_type(dtype);
            var t = (randn(b, c, ScalarType.Float64) * scale).to_type(dtype);
            var y = randint(0, c, new long[] { b });
            var teacher = TeacherTargets.FromLogits(t);
            var o = new LossParameterBag { Temperature = temp, Alpha = 0.7, Beta = 3.0, Gamma = 1.5 };
            string tag = $"B={b} C={c} T={temp} x{scale} {dtype}";
            AssertClose("kd " + tag, Run(x => o.Create("kd").Forward(new LossBatch(x, teacher, y, 1)), s),
                Run(x => KdAutograd(x, t, temp), s), tol);
            AssertClose("dkd " + tag, Run(x => o.Create("dkd").Forward(new LossBatch(x, teacher, y, 1)), s),
                Run(x => DkdAutograd(x, t, y, 0.7, 3.0, temp), s), tol);
            // Pearson is ill-conditioned on saturated softmaxes, and degenerate (±1) with 2 rows or classes: float64 only there.
            if (dtype == ScalarType.Float64 || (scale < 100 && b > 2 && c > 2))
                AssertClose("dist " + tag, Run(x => o.Create("dist").Forward(new LossBatch(x, teacher, y, 1)), s),
                    Run(x => DistAutograd(x, t, 3.0, 1.5, temp), s), tol);
        }
    }

    [TestMethod]
    public void NoGraphIsBuiltWhenTheStudentNeedsNoGradient()
    {
        using var scope = NewDisposeScope();
        var s = randn(8, 10); var t = randn(8, 10); var y = randint(0, 10, new long[] { 8 });
        foreach (var name in new[] { "kd", "dkd", "dist" })
        {
            var v = LossRegistry.Create(name).Forward(new LossBatch(s, TeacherTargets.FromLogits(t), y, 1));
            Assert.IsFalse(v.requires_grad, name);
            Assert.AreEqual(0, v.dim(), name + " is a scalar");
        }
    }
}
