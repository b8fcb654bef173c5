using Distill.Student.Losses;
using Distill.Student.Terms;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>The trainer's reference recipes (../shared/reference/fmnist-students.json) as terms, against the losses alone.</summary>
[TestClass]
public sealed class RecipeTests
{
    private static StepLoss Compute(Recipe r, Tensor s, Tensor t, Tensor y, int epoch)
    {
        var o = Objective.Build(RecipeTerms.Of(r));
        o.Bind(new Dictionary<string, long[]> { ["logits"] = new long[] { 10 } }, new[] { new TeacherColumn("logits", "logits", new[] { 10 }) }, CPU);
        return o.Compute(new Dictionary<string, Tensor> { ["logits"] = s }, new Dictionary<string, Tensor> { ["logits"] = t }, y, epoch);
    }

    private static double Alone(string loss, Tensor s, Tensor t, Tensor y) =>
        LossRegistry.Create(loss).Forward(new LossBatch(s.detach(), TeacherTargets.FromLogits(t), y, 1)).item<float>();

    [TestMethod]
    public void ReferenceRecipesAreExpressibleAndBackpropagate()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var s = (randn(128, 10) * 2).requires_grad_(true);
        var t = randn(128, 10) * 2;
        var y = randint(0, 10, new long[] { 128 });
        var ce = nn.functional.cross_entropy(s, y).item<float>();

        // kd = 0.1 CE + 0.9 KD(T=4)
        var r = Compute(new Recipe { Loss = "kd", Temperature = 4 }, s, t, y, 1);
        Assert.AreEqual(0.1 * ce, r.Terms["ce"].item<float>(), 1e-5);
        Assert.AreEqual(0.9 * Alone("kd", s, t, y), r.Terms["kd"].item<float>(), 1e-5);
        r.Total.backward();
        Assert.IsTrue(s.grad!.abs().sum().item<float>() > 0);

        // dkd = 1.0 CE + warmup(5) · DKD(α=1, β=8, T=4): epoch 2 of 5 → factor 0.4, epoch 7 → 1.
        var dkd = new Recipe { Loss = "dkd", Alpha = 1, Beta = 8, Temperature = 4, Warmup = 5, CeWeight = 1 };
        double full = Alone("dkd", s, t, y);
        Assert.AreEqual(0.4 * full, Compute(dkd, s, t, y, 2).Terms["dkd"].item<float>(), 1e-4 * full);
        Assert.AreEqual(full, Compute(dkd, s, t, y, 7).Terms["dkd"].item<float>(), 1e-4 * full);

        // dist_t4 = 1.0 CE + DIST(β=2, γ=2, τ=4)
        var d = Compute(new Recipe { Loss = "dist", Beta = 2, Gamma = 2, Temperature = 4 }, s, t, y, 1);
        Assert.AreEqual(2, d.Terms.Count);
        Assert.AreEqual(Alone("dist", s, t, y), d.Terms["dist"].item<float>(), 1e-5);

        // ce alone needs no teacher.
        Assert.IsFalse(Objective.Build(RecipeTerms.Of(new Recipe { Loss = "ce" })).NeedsTeacher);
        CollectionAssert.IsSubsetOf(new[] { "ce", "kd", "dkd", "dist", "adkd", "seg_kl", "det_mse", "hint_mse", "hint_cosine", "hint_smooth_l1", "at" }, LossRegistry.Names.ToList());
    }
}
