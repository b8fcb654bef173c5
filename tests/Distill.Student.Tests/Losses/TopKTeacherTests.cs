using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>Top-K teacher targets: K = C equals the dense loss exactly; K &lt; C keeps stored probabilities exact.</summary>
[TestClass]
public sealed class TopKTeacherTests
{
    private static TeacherTargets TopK(Tensor logits, int k)
    {
        var (vals, idx) = logits.topk(k, 1);
        return TeacherTargets.FromTopK(idx, vals, logits.logsumexp(1), (int)logits.shape[1]);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow("kd")] [DataRow("dkd")] [DataRow("dist")]
    public void KEqualToCEqualsTheDenseLoss(string loss)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var s = randn(16, 10, ScalarType.Float64) * 3;
        var t = randn(16, 10, ScalarType.Float64) * 3;
        var y = randint(0, 10, new long[] { 16 });
        var l = new LossParameterBag { Temperature = 4 }.Create(loss);
        double dense = l.Forward(new LossBatch(s, TeacherTargets.FromLogits(t), y, 1)).item<double>();
        double topk = l.Forward(new LossBatch(s, TopK(t, 10), y, 1)).item<double>();
        Assert.AreEqual(dense, topk, 0.0, "K = C must reproduce the dense loss exactly");
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void StoredClassesKeepTheirProbabilityAndTheTailIsSpreadEvenly()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var t = randn(4, 20, ScalarType.Float64) * 2;
        var dense = TopK(t, 5).DenseLogits();
        var p = nn.functional.softmax(t, 1);
        var q = nn.functional.softmax(dense, 1);
        var (_, idx) = t.topk(5, 1);
        Assert.IsTrue(allclose(p.gather(1, idx), q.gather(1, idx), rtol: 1e-12, atol: 1e-15), "stored probabilities exact");
        var rest = q.scatter(1, idx, zeros(4, 5, ScalarType.Float64));
        var tail = 1 - p.gather(1, idx).sum(1);
        Assert.IsTrue(allclose(rest.sum(1), tail, rtol: 1e-10), "tail mass preserved");
        Assert.IsTrue(allclose(rest.max(1).values, tail / 15, rtol: 1e-10), "tail spread evenly over the 15 others");
    }

    [TestMethod]
    public void AdkdNeedsDenseTargets()
    {
        using var scope = NewDisposeScope();
        var t = randn(4, 6);
        var e = Assert.ThrowsExactly<Distill.Data.DistillException>(() => LossRegistry.Create("adkd").Forward(
            new LossBatch(randn(4, 6), TopK(t, 3), randint(0, 6, new long[] { 4 }), 1)));
        StringAssert.Contains(e.Message, "dense teacher logits");
    }
}
