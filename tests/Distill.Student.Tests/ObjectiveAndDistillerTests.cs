using Distill.Cache;
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
        Assert.AreEqual(r.Parts["ce"] + r.Parts["kd"], r.Total.item<float>(), 1e-4);
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
        var x = Path.Combine(dir.Path, "x.npy"); var y = Path.Combine(dir.Path, "y.npy");
        var labels = Enumerable.Range(0, 300).Select(i => (long)(i % 3)).ToArray();
        NpyDataset.WriteFloat32(x, new long[] { 300, 4 }, k => (k % 4 == labels[k / 4] ? 2f : 0f) + (float)((k * 7919 % 13) / 13.0));
        NpyDataset.WriteInt64(y, labels);
        var spec = $"npy:{x},{y}";
        using (var ds = (NpyDataset)DatasetCatalog.Open(spec, "train"))
        {
            var meta = new CacheMetadata
            {
                TeacherFile = "t", TeacherSha256 = "00", Outputs = new[] { new CacheOutput("logits", "logits", new[] { 3 }) },
                ClassCount = 3, DatasetName = spec, Split = "train", DatasetCount = 300, Fingerprint = ds.Fingerprint,
                SampleShape = ds.SampleShape, Preprocessing = new Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), InputName = "input", HasLabels = true,
            };
            await using var w = await LogitCacheWriter.CreateAsync(Path.Combine(dir.Path, "cache"), meta, true, rowGroupSize: 64);
            var logits = new float[900];
            for (int i = 0; i < 300; i++) logits[i * 3 + labels[i]] = 4;
            await w.WriteAsync(Enumerable.Range(0, 300).Select(i => (long)i).ToArray(), labels.Select(l => (int)l).ToArray(), logits);
            await w.CompleteAsync();
        }
        using var data = TrainingData.Open(Path.Combine(dir.Path, "cache"), null);
        var result = await Distiller.TrainAsync(new Linear1(), data, new Recipe { Loss = "kd", Epochs = 3, Batch = 32, Lr = 0.05, MemoryBudgetMb = 16 },
            outDir: Path.Combine(dir.Path, "run"));
        Assert.AreEqual(3, result.History.Count);
        Assert.IsTrue(result.History[^1].Losses["loss"] < result.History[0].Losses["loss"]);
        Assert.AreEqual(15, result.Parameters);
        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, "run", "summary.json")));
    }
}
