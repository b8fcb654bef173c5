using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>The trainer's reference recipes (../shared/reference/fmnist-students.json) through CombinedObjective.FromRecipe.</summary>
[TestClass]
public sealed class RecipeTests
{
    private static LossBatch Batch(int epoch, Tensor s, Tensor t, Tensor y) => new(s, TeacherTargets.FromLogits(t), y, epoch);

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
        var kd = CombinedObjective.FromRecipe("kd", 0.1, 0.9, new LossOptions { Temperature = 4 });
        var r = kd.Compute(Batch(1, s, t, y));
        double kdOnly = new KdLoss(new LossOptions { Temperature = 4 }).Forward(Batch(1, s.detach(), t, y)).item<float>();
        Assert.AreEqual(0.1 * ce, r.Parts["ce"], 1e-5);
        Assert.AreEqual(0.9 * kdOnly, r.Parts["kd"], 1e-5);
        r.Total.backward();
        Assert.IsTrue(s.grad!.abs().sum().item<float>() > 0);

        // dkd = 1.0 CE + warmup(5) · DKD(α=1, β=8, T=4): epoch 2 of 5 → factor 0.4, epoch 7 → 1.
        var dkdOptions = new LossOptions { Alpha = 1, Beta = 8, Temperature = 4, Warmup = 5 };
        var dkd = CombinedObjective.FromRecipe("dkd", 1.0, 1.0, dkdOptions);
        double full = new DkdLoss(dkdOptions with { Warmup = 0 }).Forward(Batch(1, s.detach(), t, y)).item<float>();
        Assert.AreEqual(0.4 * full, dkd.Compute(Batch(2, s, t, y)).Parts["dkd"], 1e-4 * full);
        Assert.AreEqual(full, dkd.Compute(Batch(7, s, t, y)).Parts["dkd"], 1e-4 * full);
        Assert.IsTrue(dkd.NeedsTeacher && dkd.NeedsLabels);

        // dist_t4 = 1.0 CE + DIST(β=2, γ=2, τ=4)
        var dist = CombinedObjective.FromRecipe("dist", 1.0, 1.0, new LossOptions { Beta = 2, Gamma = 2, Temperature = 4 });
        var d = dist.Compute(Batch(1, s, t, y));
        Assert.AreEqual(2, d.Parts.Count);
        Assert.IsTrue(double.IsFinite(d.Parts["dist"]) && d.Parts["dist"] > 0);

        // ce alone needs no teacher.
        Assert.IsFalse(CombinedObjective.FromRecipe("ce", 1.0, 0, new LossOptions()).NeedsTeacher);
        CollectionAssert.IsSubsetOf(new[] { "ce", "kd", "dkd", "dist", "adkd", "seg_kl", "det_mse" }, LossRegistry.Names.ToList());
    }
}
