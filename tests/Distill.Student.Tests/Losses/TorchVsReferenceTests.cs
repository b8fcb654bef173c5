using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The TorchSharp losses against <see cref="ReferenceLosses"/> on random cases of several shapes: values, and the
/// autograd gradient against central finite differences of the reference.
/// </summary>
[TestClass]
public sealed class TorchVsReferenceTests
{
    private static (double[] S, double[] T, int[] Y) RandomCase(int b, int c, int seed, double scale = 3)
    {
        var rng = new Random(seed);
        double Next() => (rng.NextDouble() * 2 - 1) * scale;
        return (Enumerable.Range(0, b * c).Select(_ => Next()).ToArray(), Enumerable.Range(0, b * c).Select(_ => Next()).ToArray(),
            Enumerable.Range(0, b).Select(_ => rng.Next(c)).ToArray());
    }

    private static (double Value, double[] Grad) Torch(string loss, LossOptions o, double[] s, double[] t, int[] y, int b, int c)
    {
        using var scope = NewDisposeScope();
        var st = tensor(s, ScalarType.Float64).reshape(b, c).requires_grad_(true);
        var tt = tensor(t, ScalarType.Float64).reshape(b, c);
        var v = LossRegistry.Create(loss, o).Forward(new LossBatch(st, TeacherTargets.FromLogits(tt), tensor(y.Select(x => (long)x).ToArray()), 1));
        v.backward();
        return (v.item<double>(), st.grad!.data<double>().ToArray());
    }

    private static Func<double[], double> Reference(string loss, LossOptions o, double[] t, int[] y, int b, int c) => loss switch
    {
        "kd" => s => ReferenceLosses.Kd(s, t, b, c, o.Temperature),
        "dkd" => s => ReferenceLosses.Dkd(s, t, y, b, c, o.Alpha, o.Beta, o.Temperature),
        "dist" => s => ReferenceLosses.Dist(s, t, b, c, o.Beta, o.Gamma, o.Temperature),
        "adkd" => s => ReferenceLosses.Adkd(s, t, y, b, c, o.Beta),
        _ => throw new ArgumentException(loss),
    };

    [TestMethod]
    [DataRow("kd", 4, 5, 1.0)] [DataRow("kd", 7, 13, 4.0)]
    [DataRow("dkd", 4, 5, 4.0)] [DataRow("dkd", 6, 2, 1.0)] [DataRow("dkd", 5, 17, 2.0)]
    [DataRow("dist", 4, 5, 1.0)] [DataRow("dist", 6, 11, 4.0)]
    [DataRow("adkd", 4, 6, 1.0)]
    public void ValueAndGradientAgreeWithThePlainReference(string loss, int b, int c, double temp)
    {
        var o = new LossOptions { Temperature = temp, Alpha = 0.7, Beta = loss == "adkd" ? 1.5 : 3.0, Gamma = 2.0 };
        var (s, t, y) = RandomCase(b, c, seed: b * 100 + c);
        var (value, grad) = Torch(loss, o, s, t, y, b, c);
        var f = Reference(loss, o, t, y, b, c);
        Assert.AreEqual(f(s), value, 1e-10 * Math.Max(1, Math.Abs(value)), "value");
        const double h = 1e-5;
        for (int k = 0; k < s.Length; k++)
        {
            var plus = (double[])s.Clone(); plus[k] += h;
            var minus = (double[])s.Clone(); minus[k] -= h;
            double fd = (f(plus) - f(minus)) / (2 * h);
            Assert.AreEqual(fd, grad[k], 1e-6 * Math.Max(1, Math.Abs(fd)), $"d/ds[{k}]");
        }
    }

    [TestMethod]
    public void DkdWithTwoClassesHasNoNonTargetTerm()
    {
        var (s, t, y) = RandomCase(5, 2, 7);
        var tckdOnly = new LossOptions { Temperature = 2, Alpha = 1, Beta = 0 };
        var both = new LossOptions { Temperature = 2, Alpha = 1, Beta = 8 };
        Assert.AreEqual(Torch("dkd", tckdOnly, s, t, y, 5, 2).Value, Torch("dkd", both, s, t, y, 5, 2).Value, 1e-12);
    }

    [TestMethod]
    public void DkdWarmupScalesByEpochOverWarmup()
    {
        var (s, t, y) = RandomCase(4, 6, 3);
        using var scope = NewDisposeScope();
        var st = tensor(s, ScalarType.Float64).reshape(4, 6);
        var tt = TeacherTargets.FromLogits(tensor(t, ScalarType.Float64).reshape(4, 6));
        var labels = tensor(y.Select(x => (long)x).ToArray());
        var full = new DkdLoss(new LossOptions()).Forward(new LossBatch(st, tt, labels, 1)).item<double>();
        var warm = new DkdLoss(new LossOptions { Warmup = 5 });
        Assert.AreEqual(full * 2 / 5, warm.Forward(new LossBatch(st, tt, labels, 2)).item<double>(), 1e-12);
        Assert.AreEqual(full, warm.Forward(new LossBatch(st, tt, labels, 5)).item<double>(), 1e-12);
        Assert.AreEqual(full, warm.Forward(new LossBatch(st, tt, labels, 9)).item<double>(), 1e-12);
        Assert.AreEqual(0.4, Warmup.Factor(2, 5), 1e-15);
    }

    [TestMethod]
    public void DistRefusesASingleRowAndBadOptionsAreRefused()
    {
        using var scope = NewDisposeScope();
        var one = randn(1, 5, ScalarType.Float64);
        var e = Assert.ThrowsExactly<Distill.Data.DistillException>(() =>
            LossRegistry.Create("dist", new LossOptions()).Forward(new LossBatch(one, TeacherTargets.FromLogits(one), null, 1)));
        StringAssert.Contains(e.Message, "at least 2");
        StringAssert.Contains(Assert.ThrowsExactly<Distill.Data.DistillException>(() => LossRegistry.Create("kd", new LossOptions { Temperature = 0 })).Message, "--temperature");
        StringAssert.Contains(Assert.ThrowsExactly<Distill.Data.DistillException>(() => LossRegistry.Create("nope", new LossOptions())).Message, "unknown loss");
    }

    [TestMethod]
    public void CombinedObjectiveWeighsTermsAndReportsParts()
    {
        var (s, t, y) = RandomCase(8, 10, 11);
        using var scope = NewDisposeScope();
        var st = tensor(s, ScalarType.Float64).reshape(8, 10);
        var batch = new LossBatch(st, TeacherTargets.FromLogits(tensor(t, ScalarType.Float64).reshape(8, 10)), tensor(y.Select(x => (long)x).ToArray()), 1);
        var o = new LossOptions { Temperature = 4 };
        var objective = CombinedObjective.FromRecipe("kd", 0.1, 0.9, o);
        var r = objective.Compute(batch);
        double ce = nn.functional.cross_entropy(st, batch.Labels!).item<double>();
        Assert.AreEqual(0.1 * ce, r.Parts["ce"], 1e-12);
        Assert.AreEqual(0.9 * ReferenceLosses.Kd(s, t, 8, 10, 4), r.Parts["kd"], 1e-10);
        Assert.AreEqual(r.Parts["ce"] + r.Parts["kd"], r.Total.item<double>(), 1e-12);
        Assert.IsTrue(objective.NeedsTeacher);
        Assert.IsFalse(CombinedObjective.FromRecipe("ce", 1, 0, o).NeedsTeacher);
    }
}
