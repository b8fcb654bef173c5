using Distill.Student.Terms;
using Distill.Student.Training;
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

    private static (double Value, double[] Grad) Torch(string loss, LossParameterBag o, double[] s, double[] t, int[] y, int b, int c)
    {
        using var scope = NewDisposeScope();
        var st = tensor(s, ScalarType.Float64).reshape(b, c).requires_grad_(true);
        var tt = tensor(t, ScalarType.Float64).reshape(b, c);
        var v = o.Create(loss).Forward(new LossBatch(st, TeacherTargets.FromLogits(tt), tensor(y.Select(x => (long)x).ToArray()), 1));
        v.backward();
        return (v.item<double>(), st.grad!.data<double>().ToArray());
    }

    private static Func<double[], double> Reference(string loss, LossParameterBag o, double[] t, int[] y, int b, int c) => loss switch
    {
        "kd" => s => ReferenceLosses.Kd(s, t, b, c, o.Temperature!.Value),
        "dkd" => s => ReferenceLosses.Dkd(s, t, y, b, c, o.Alpha!.Value, o.Beta!.Value, o.Temperature!.Value),
        "dist" => s => ReferenceLosses.Dist(s, t, b, c, o.Beta!.Value, o.Gamma!.Value, o.Temperature!.Value),
        "adkd" => s => ReferenceLosses.Adkd(s, t, y, b, c, o.Beta!.Value),
        _ => throw new ArgumentException(loss),
    };

    [TestMethod]
    [DataRow("kd", 4, 5, 1.0)] [DataRow("kd", 7, 13, 4.0)]
    [DataRow("dkd", 4, 5, 4.0)] [DataRow("dkd", 6, 2, 1.0)] [DataRow("dkd", 5, 17, 2.0)]
    [DataRow("dist", 4, 5, 1.0)] [DataRow("dist", 6, 11, 4.0)]
    [DataRow("adkd", 4, 6, 1.0)]
    public void ValueAndGradientAgreeWithThePlainReference(string loss, int b, int c, double temp)
    {
        var o = new LossParameterBag { Temperature = temp, Alpha = 0.7, Beta = loss == "adkd" ? 1.5 : 3.0, Gamma = 2.0 };
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
        var tckdOnly = new LossParameterBag { Temperature = 2, Alpha = 1, Beta = 0 };
        var both = new LossParameterBag { Temperature = 2, Alpha = 1, Beta = 8 };
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
        var dkd = LossRegistry.Create("dkd");
        var full = dkd.Forward(new LossBatch(st, tt, labels, 1)).item<double>();
        // The term's warmup reaches DKD as the batch's factor min(epoch / 5, 1), folded into its closed-form scale.
        Assert.IsTrue(dkd.AppliesWarmup);
        Assert.AreEqual(full * 2 / 5, dkd.Forward(new LossBatch(st, tt, labels, 2) { WarmupFactor = Warmup.Factor(2, 5) }).item<double>(), 1e-12);
        Assert.AreEqual(full, dkd.Forward(new LossBatch(st, tt, labels, 5) { WarmupFactor = Warmup.Factor(5, 5) }).item<double>(), 1e-12);
        Assert.AreEqual(full, dkd.Forward(new LossBatch(st, tt, labels, 9) { WarmupFactor = Warmup.Factor(9, 5) }).item<double>(), 1e-12);
        Assert.AreEqual(0.4, Warmup.Factor(2, 5), 1e-15);
    }

    [TestMethod]
    public void DistRefusesASingleRowAndBadOptionsAreRefused()
    {
        using var scope = NewDisposeScope();
        var one = randn(1, 5, ScalarType.Float64);
        var e = Assert.ThrowsExactly<Distill.Data.DistillException>(() =>
            LossRegistry.Create("dist").Forward(new LossBatch(one, TeacherTargets.FromLogits(one), null, 1)));
        StringAssert.Contains(e.Message, "at least 2");
        StringAssert.Contains(Assert.ThrowsExactly<Distill.Data.DistillException>(() => new LossParameterBag { Temperature = 0 }.Create("kd")).Message, "loss 'kd': temperature must be a positive number");
        StringAssert.Contains(Assert.ThrowsExactly<Distill.Data.DistillException>(() => LossRegistry.Create("nope")).Message, "unknown loss");
    }

    [TestMethod]
    public void ObjectiveWeighsTermsAndReportsThemByName()
    {
        var (s, t, y) = RandomCase(8, 10, 11);
        using var scope = NewDisposeScope();
        var st = tensor(s, ScalarType.Float64).reshape(8, 10);
        var tt = tensor(t, ScalarType.Float64).reshape(8, 10);
        var labels = tensor(y.Select(x => (long)x).ToArray());
        var objective = Objective.Build(RecipeTerms.Of(new Recipe { Loss = "kd", Temperature = 4 }));
        objective.Bind(new Dictionary<string, long[]> { ["logits"] = new long[] { 10 } }, new[] { new TeacherColumn("logits", "logits", new[] { 10 }) }, CPU);
        var r = objective.Compute(new Dictionary<string, Tensor> { ["logits"] = st }, new Dictionary<string, Tensor> { ["logits"] = tt }, labels, 1);
        double ce = nn.functional.cross_entropy(st, labels).item<double>();
        Assert.AreEqual(0.1 * ce, r.Terms["ce"].item<double>(), 1e-12);
        Assert.AreEqual(0.9 * ReferenceLosses.Kd(s, t, 8, 10, 4), r.Terms["kd"].item<double>(), 1e-10);
        Assert.AreEqual(r.Terms["ce"].item<double>() + r.Terms["kd"].item<double>(), r.Total.item<double>(), 1e-12);
        Assert.IsTrue(objective.NeedsTeacher);
        Assert.IsFalse(Objective.Build(RecipeTerms.Of(new Recipe { Loss = "ce" })).NeedsTeacher);
    }
}
