using Distill.Cache;
using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Student.Losses;
using Distill.Student.Terms;
using Distill.Student.Output;
using Distill.Student.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

[TestClass]
public sealed class ObjectiveAndDistillerTests
{
    private static IReadOnlyList<Term> TermsOf(Recipe r) => Objective.Build(RecipeTerms.Of(r)).Terms;

    [TestMethod]
    public void ShorthandBecomesTermsWithEachLossesDefaults()
    {
        var kd = TermsOf(new Recipe { Loss = "kd" });
        CollectionAssert.AreEqual(new[] { "ce", "kd" }, kd.Select(t => t.Name).ToArray());
        CollectionAssert.AreEqual(new[] { 0.1, 0.9 }, kd.Select(t => t.Weight).ToArray());
        CollectionAssert.AreEqual(new[] { 1.0, 1.0 }, TermsOf(new Recipe { Loss = "dkd" }).Select(t => t.Weight).ToArray());
        CollectionAssert.AreEqual(new[] { 0.3, 0.7 }, TermsOf(new Recipe { Loss = "kd", CeWeight = 0.3, KdWeight = 0.7 }).Select(t => t.Weight).ToArray());
        Assert.AreEqual(1, TermsOf(new Recipe { Loss = "ce", KdWeight = 0 }).Count);
        // DIST's own defaults (β = 2, γ = 2), not DKD's β = 8.
        var dist = (DistParameters)TermsOf(new Recipe { Loss = "dist" })[1].Loss.Parameters;
        Assert.AreEqual((2.0, 2.0, 4.0), (dist.Beta, dist.Gamma, dist.Temperature));
        Assert.AreEqual(8.0, ((DkdParameters)TermsOf(new Recipe { Loss = "dkd" })[1].Loss.Parameters).Beta);
        Assert.AreEqual(3, TermsOf(new Recipe { Loss = "dkd", Warmup = 3 })[1].Warmup);
        Assert.IsTrue(((KdParameters)TermsOf(new Recipe { Loss = "kd", Standardize = true })[1].Loss.Parameters).Standardize);
    }

    [TestMethod]
    public void ParametersALossDoesNotTakeAreRefusedByName()
    {
        var e = Assert.ThrowsExactly<DistillException>(() => new Recipe { Loss = "kd", Beta = 3 }.Validate());
        Assert.AreEqual("loss 'kd' does not take 'beta' (it takes: temperature, standardize)", e.Message);
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => new Recipe { Loss = "ce", Temperature = 4 }.Validate()).Message, "loss 'ce' does not take 'temperature'");
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => new Recipe { Loss = "nope" }.Validate()).Message, "unknown loss 'nope'");
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => new Recipe { Loss = "dist", Temperature = -1 }.Validate()).Message, "temperature must be a positive number");
        var both = new Recipe { Loss = "kd", Terms = new() { new TermSpec { Loss = "kd" } } };
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => both.Validate()).Message, "gives terms and the shorthand loss");
        var twice = new Recipe { Terms = new() { new TermSpec { Loss = "kd", Name = "x" }, new TermSpec { Loss = "dkd", Name = "x" } } };
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => twice.Validate()).Message, "two terms are named 'x'");
    }

    [TestMethod]
    public void TermsRecipeReadsLossParametersAndNamesRepeatedLossesByColumn()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "r.json");
        File.WriteAllText(path, """
            { "student": "mlp-20-20", "terms": [
                { "loss": "ce", "weight": 0.2, "label_smoothing": 0.1 },
                { "loss": "kd", "weight": 0.4, "temperature": 2 },
                { "loss": "kd", "weight": 0.4, "teacher": "logits_t1", "standardize": true, "warmup": 2 } ] }
            """);
        var terms = TermsOf(Recipe.Load(path).Validate());
        CollectionAssert.AreEqual(new[] { "ce", "kd_logits", "kd_logits_t1" }, terms.Select(t => t.Name).ToArray());
        Assert.AreEqual(0.1, ((CeParameters)terms[0].Loss.Parameters).LabelSmoothing);
        Assert.AreEqual(2.0, ((KdParameters)terms[1].Loss.Parameters).Temperature);
        Assert.AreEqual(4.0, ((KdParameters)terms[2].Loss.Parameters).Temperature);
        Assert.AreEqual(("logits_t1", 2), (terms[2].Teacher, terms[2].Warmup));
        File.WriteAllText(path, """{ "terms": [ { "loss": "kd", "gamma": 1 } ] }""");
        Assert.AreEqual("loss 'kd' does not take 'gamma' (it takes: temperature, standardize)",
            Assert.ThrowsExactly<DistillException>(() => Recipe.Load(path).Validate()).Message);
    }

    [TestMethod]
    public void ShapesThatDoNotFitTheLossAreOneLineNamingBoth()
    {
        var logits = new TeacherColumn("logits", "logits", new[] { 10 });
        var seg = new TeacherColumn("seg", "seg", new[] { 11, 16, 16 });
        var student = new Dictionary<string, long[]> { ["logits"] = new long[] { 10 }, ["fc1"] = new long[] { 400 } };
        Exception Bind(params TermSpec[] terms) => Assert.ThrowsExactly<DistillException>(() => Objective.Build(terms).Bind(student, new[] { logits, seg }, CPU));
        StringAssert.Contains(Bind(new TermSpec { Loss = "seg_kl" }).Message, "student output 'logits' [10] and teacher column 'logits' [10] do not fit loss 'seg_kl'");
        StringAssert.Contains(Bind(new TermSpec { Loss = "kd", Teacher = "seg" }).Message, "teacher column 'seg' [11, 16, 16]");
        StringAssert.Contains(Bind(new TermSpec { Loss = "hint_mse", Student = "fc1", Teacher = "seg", Adapter = "linear" }).Message, "adapter 'linear' maps [D] to [D']");
        StringAssert.Contains(Bind(new TermSpec { Loss = "hint_mse", Student = "fc9" }).Message, "the student has no output 'fc9'");
        StringAssert.Contains(Bind(new TermSpec { Loss = "kd", Teacher = "features" }).Message, "the cache has no column 'features' (it has: logits [10], seg [11, 16, 16])");
        var topK = new TeacherColumn("logits", "logits", new[] { 10 }, new ColumnContent("top-3 float32", 10, 3));
        var e = Assert.ThrowsExactly<DistillException>(() => Objective.Build(new[] { new TermSpec { Loss = "adkd" } }).Bind(student, new[] { topK }, CPU));
        Assert.AreEqual("term 'adkd': loss 'adkd' cannot use column 'logits' stored as top-3 float32: it needs every value of a row, and the column stores 3 of 10 (precompute without --top-k)", e.Message);
        var dkd = Objective.Build(new[] { new TermSpec { Loss = "dkd" } });
        dkd.Bind(student, new[] { topK }, CPU);   // kd, dkd, dist use top-K, approximately, and say so
        StringAssert.StartsWith(dkd.Notes.Single(), "term 'dkd': loss 'dkd' on column 'logits' (top-3 float32) is approximate: the classes outside the top 3");
    }

    private sealed class MaskLoss : DistillationLoss
    {
        public override string Name => "test_mask";
        public override LossParameters Parameters { get; } = new NoParameters();
        public override bool NeedsTeacher => false;
        public override IReadOnlyList<string> DatasetTargets => new[] { "mask" };
        public override Tensor Forward(LossBatch batch) => (batch.Student - batch.Targets["mask"]).abs().mean();
    }

    [TestMethod]
    public void ALossNeedingDatasetTargetsIsRefusedWhenTheDatasetHasNone()
    {
        LossRegistry.Register<NoParameters>("test_mask", _ => new MaskLoss());
        var student = new Dictionary<string, long[]> { ["logits"] = new long[] { 3 } };
        var columns = new[] { new TeacherColumn("logits", "logits", new[] { 3 }) };
        var e = Assert.ThrowsExactly<DistillException>(() => Objective.Build(new[] { new TermSpec { Loss = "test_mask" } }).Bind(student, columns, CPU));
        Assert.AreEqual("term 'test_mask': loss 'test_mask' needs the dataset's 'mask' targets, which this dataset does not provide", e.Message);
        // A dataset that provides them: the loss reads them from the batch by name.
        var o = Objective.Build(new[] { new TermSpec { Loss = "test_mask" } });
        o.Bind(student, columns, CPU, datasetTargets: new[] { "mask" });
        using var scope = NewDisposeScope();
        var r = o.Compute(new Dictionary<string, Tensor> { ["logits"] = ones(2, 3) }, new Dictionary<string, Tensor>(), null, 1,
            new Dictionary<string, Tensor> { ["mask"] = zeros(2, 3) });
        Assert.AreEqual(1.0, r.Total.item<float>(), 1e-6);
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

    /// <summary>A user's module with an encoder it invokes with call(): tapped by name through a forward hook.</summary>
    private sealed class Encoded : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Sequential encoder = nn.Sequential(("fc", nn.Linear(4, 8)), ("relu", nn.ReLU()));
        private readonly TorchSharp.Modules.Linear head = nn.Linear(8, 3);
        private readonly bool _bypassHooks;
        public Encoded(bool bypassHooks = false) : base("encoded") { _bypassHooks = bypassHooks; RegisterComponents(); }
        public override Tensor forward(Tensor x) => head.call(_bypassHooks ? encoder.forward(x) : encoder.call(x));
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator
    public async Task AUserModuleTappedByHooksTrainsWithAHintTerm()
    {
        using var dir = new TempDir();
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path, features: true), null);
        var recipe = new Recipe
        {
            Epochs = 6, Batch = 32, Lr = 0.02, MemoryBudgetMb = 16, Seed = 4,
            Terms = new()
            {
                new TermSpec { Loss = "ce", Weight = 0.5 },
                new TermSpec { Loss = "hint_mse", Student = "encoder", Teacher = "features", Adapter = "linear" },
            },
        };
        manual_seed(4);
        var student = new Encoded();
        var result = await Distiller.TrainAsync(student, data, recipe, outDir: Path.Combine(dir.Path, "run"));
        var hint = result.History.Select(h => h.Losses["hint_mse"]).ToArray();
        Assert.IsTrue(hint[^1] < 0.5 * hint[0], $"the hint term falls: {string.Join(", ", hint)}");
        // The checkpoint holds the student and its adapter (8 → 2); the exported weights hold the student alone.
        var ckpt = Directory.GetDirectories(Checkpoint.Root(Path.Combine(dir.Path, "run"))).Single();
        Assert.IsTrue(new FileInfo(Path.Combine(ckpt, "model.dat")).Length > new FileInfo(Path.Combine(dir.Path, "run", "model.dat")).Length);
        Assert.AreEqual(8 * 4 + 8 + 3 * 8 + 3, result.Parameters);

        // A forward() that bypasses the hook (encoder.forward instead of call) is one clear line, not a silent zero.
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Distiller.TrainAsync(new Encoded(bypassHooks: true), data, recipe with { Epochs = 1 }));
        StringAssert.Contains(e.Message, "tap 'encoder': its forward hook did not fire");
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator
    public async Task AdaptersAreCheckpointedAndAResumedRunEndsWhereAnUninterruptedOneDoes()
    {
        using var dir = new TempDir();
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path, features: true), null);
        var recipe = new Recipe
        {
            Epochs = 3, Batch = 32, Lr = 0.02, MemoryBudgetMb = 16, Seed = 2,
            Terms = new() { new TermSpec { Loss = "ce" }, new TermSpec { Loss = "hint_mse", Student = "encoder", Teacher = "features", Adapter = "linear" } },
        };
        async Task<TrainResult> Run(string outDir, RunMode mode, int stopAfter = 0)
        {
            manual_seed(2);   // same student and adapter initialization in every run
            using var cut = new CancellationTokenSource();
            var events = new TrainerEvents { EpochDone = m => { if (m.Epoch == stopAfter) cut.Cancel(); } };
            return await Distiller.TrainAsync(new Encoded(), data, recipe, outDir, mode, events, ct: cut.Token);
        }
        var full = await Run(Path.Combine(dir.Path, "full"), RunMode.New);
        var interrupted = Path.Combine(dir.Path, "cut");
        // Interrupted after its first epoch's checkpoint (as a kill would), then resumed with the same inputs.
        await Assert.ThrowsExactlyAsync<OperationCanceledException>(() => Run(interrupted, RunMode.New, stopAfter: 1));
        Assert.IsFalse(File.Exists(Path.Combine(interrupted, "summary.json")));
        var resumed = await Run(interrupted, RunMode.Resume);
        // The adapter's weights and Adam state come back from the checkpoint: the same losses as without the interruption.
        CollectionAssert.AreEqual(full.History.Select(h => h.Losses["hint_mse"]).ToArray(), resumed.History.Select(h => h.Losses["hint_mse"]).ToArray());
        CollectionAssert.AreEqual(full.History.Select(h => h.Losses["loss"]).ToArray(), resumed.History.Select(h => h.Losses["loss"]).ToArray());
    }

    /// <summary>A loss of the test's own: scale · mean |s − t|.</summary>
    private sealed record L1Parameters : LossParameters
    {
        public double Scale { get; init; } = 1.0;
    }

    private sealed class L1Loss(L1Parameters p) : DistillationLoss
    {
        public static readonly List<double> Scales = new();
        public override string Name => "test_l1";
        public override LossParameters Parameters => p;
        public override Tensor Forward(LossBatch batch)
        {
            lock (Scales) Scales.Add(p.Scale);
            return (batch.Student - batch.RequireTeacher(Name).Logits.to(batch.Student.dtype)).abs().mean() * p.Scale;
        }
    }

    [TestMethod]
    public async Task AUserLossRegisteredByNameTrainsFromARecipe()
    {
        LossRegistry.Register<L1Parameters>("test_l1", p => new L1Loss(p));
        Assert.ThrowsExactly<ArgumentException>(() => LossRegistry.Register<L1Parameters>("test_l1", p => new L1Loss(p)));
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "r.json");
        File.WriteAllText(path, """{ "epochs": 2, "batch": 50, "lr": 0.05, "memory_budget_mb": 16, "terms": [ { "loss": "ce" }, { "loss": "test_l1", "weight": 0.5, "scale": 2 } ] }""");
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path), null);
        var result = await Distiller.TrainAsync(new Linear1(), data, Recipe.Load(path), outDir: Path.Combine(dir.Path, "run"));
        Assert.IsTrue(result.History.All(h => h.Losses.ContainsKey("test_l1")));
        Assert.IsTrue(L1Loss.Scales.Count >= 12 && L1Loss.Scales.All(s => s == 2.0), "6 batches × 2 epochs, all with scale 2");
        var line = JsonNode.Parse(File.ReadAllLines(Path.Combine(dir.Path, "run", "metrics.jsonl"))[1])!;
        Assert.AreEqual(line["ce"]!.GetValue<double>() + line["test_l1"]!.GetValue<double>(), line["loss"]!.GetValue<double>(), 1e-6 * line["loss"]!.GetValue<double>());   // float32 terms
        File.WriteAllText(path, """{ "terms": [ { "loss": "test_l1", "scales": 2 } ] }""");
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => Recipe.Load(path).Validate()).Message, "loss 'test_l1' does not take 'scales' (it takes: scale)");
    }
}
