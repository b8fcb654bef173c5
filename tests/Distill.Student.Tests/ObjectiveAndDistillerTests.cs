using Distill.Data;
using Distill.Student.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

[TestClass]
public sealed class ObjectiveAndDistillerTests
{
    [TestMethod]
    public void RecipeObjectiveFollowsTheRecipe()
    {
        Assert.AreEqual((0.1, 0.9), RecipeObjective.DefaultWeights(new Recipe { Loss = "kd" }));
        Assert.AreEqual((1.0, 1.0), RecipeObjective.DefaultWeights(new Recipe { Loss = "dkd" }));
        Assert.AreEqual((0.3, 0.7), RecipeObjective.DefaultWeights(new Recipe { Loss = "kd", CeWeight = 0.3, KdWeight = 0.7 }));
        Assert.IsFalse(new RecipeObjective(new Recipe { Loss = "ce" }).NeedsTeacher);
        var kd = new RecipeObjective(new Recipe { Loss = "kd" });
        Assert.IsTrue(kd.NeedsTeacher);
        using var s = randn(4, 10);
        using var t = randn(4, 10);
        using var y = tensor(new long[] { 1, 2, 3, 4 });
        var r = kd.Compute(s, t, y, 1);
        CollectionAssert.AreEquivalent(new[] { "ce", "kd" }, r.Parts.Keys.ToArray());
        Assert.AreEqual(r.Parts["ce"].item<float>() + r.Parts["kd"].item<float>(), r.Total.item<float>(), 1e-4);
        Assert.ThrowsExactly<DistillException>(() => new RecipeObjective(new Recipe { Loss = "nope" }));
    }

    private sealed class Linear1 : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc = nn.Linear(4, 3);
        public Linear1() : base("mine") => RegisterComponents();
        public override Tensor forward(Tensor x) => fc.forward(x);
    }

    [TestMethod]
    public async Task UsersOwnModuleTrainsThroughTheLibraryEntryPoint()
    {
        using var dir = new TempDir();
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path), null);
        var result = await Distiller.TrainAsync(new Linear1(), data, new Recipe { Loss = "kd", Epochs = 3, Batch = 32, Lr = 0.05, MemoryBudgetMb = 16 },
            outDir: Path.Combine(dir.Path, "run"));
        Assert.AreEqual(3, result.History.Count);
        Assert.IsTrue(result.History[^1].Losses["loss"] < result.History[0].Losses["loss"]);
        Assert.AreEqual(15, result.Parameters);
        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, "run", "summary.json")));
    }
}
