using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Student.Terms;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

[TestClass]
[DoNotParallelize]   // every test seeds torch's global generator (Train): a test running beside one must not draw from it in between
public sealed class TrainerTests
{
    private static readonly Preprocessing Id = new(1, new[] { 0.0 }, new[] { 1.0 });

    private static TrainResult Train(string? outDir, Recipe r, bool resume = false, bool teacher = true, int stopAfter = 0,
        TrainerEvents? events = null)
    {
        var d = new MemoryDataset(240, 6, 3, seed: 2);
        var test = new MemoryDataset(90, 6, 3, seed: 3, split: "test");
        manual_seed(r.Seed);
        var model = StudentRegistry.Create(r.Student, d.SampleShape, 3);
        var logits = d.Teacher();
        var objective = TestObjectives.CeAndMse(teacher).Bound(model, d.SampleShape, logits);
        var src = new CachedBatchSource(logits, d, Id, r.Batch, r.Seed, 64 << 20, objective.TeacherColumns);
        src.PrepareAsync().GetAwaiter().GetResult();
        var eval = new Evaluator(test, Id, 3, Enumerable.Range(0, 90).Select(i => (long)(i % 3)).ToArray());
        var trainer = new Trainer(model, objective, src, eval, stopAfter > 0 ? r with { Epochs = stopAfter } : r, d.SampleShape, CPU);
        return trainer.Run(outDir, resume, events);
    }

    private static readonly Recipe R = new() { Student = "mlp:16", Batch = 32, Epochs = 4, Seed = 11, Lr = 0.01 };

    [TestMethod]
    public void LearnsAndWritesOutputs()
    {
        using var dir = new TempDir();
        var r = Train(dir.Path, R with { Schedule = "cosine", LrWarmup = 1 });
        Assert.AreEqual(4, r.History.Count);
        Assert.IsTrue(r.History[^1].TestAcc > 0.8, $"acc {r.History[^1].TestAcc}");
        Assert.IsTrue(r.History[^1].Agreement > 0.8);
        Assert.IsNull(r.History[^1].TestTop5);   // C ≤ 5
        Assert.IsTrue(r.History[^1].Losses.ContainsKey("mse"));
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "metrics.jsonl"));
        Assert.AreEqual(4, lines.Length);
        var first = JsonNode.Parse(lines[0])!;
        foreach (var k in new[] { "epoch", "loss", "ce", "mse", "lr", "test_acc", "agreement", "seconds" }) Assert.IsNotNull(first[k], k);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "summary.json")))!;
        Assert.AreEqual(4, summary["epochs"]!.GetValue<int>());
        Assert.AreEqual("mlp:16", summary["recipe"]!["student"]!.GetValue<string>());
        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, "model.dat")));
        Assert.AreEqual(1, Directory.GetFiles(dir.Path, "events.out.tfevents.*").Length);
        Assert.IsTrue(new FileInfo(Path.Combine(dir.Path, "curves.png")).Length > 1000);
        CollectionAssert.AreEqual(new[] { "epoch-0004" }, Directory.GetDirectories(Checkpoint.Root(dir.Path)).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void SameSeedSameNumbersAndResumeReproduces()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var full = Train(a.Path, R);
        var again = Train(null, R);
        CollectionAssert.AreEqual(full.History.Select(h => h.Losses["loss"]).ToArray(), again.History.Select(h => h.Losses["loss"]).ToArray());
        // Interrupted after epoch 2 (as if killed during epoch 3), then resumed.
        Train(b.Path, R, stopAfter: 2);
        File.Delete(Path.Combine(b.Path, "summary.json"));
        var (events, resumedAfter, trained) = Recorder();
        var resumed = Train(b.Path, R, resume: true, events: events);
        // It continued: loaded epoch 2's checkpoint and trained epochs 3 and 4 only.
        Assert.AreEqual(2, resumedAfter.Single());
        CollectionAssert.AreEqual(new[] { 3, 4 }, trained);
        Assert.AreEqual(4, resumed.History.Count);
        CollectionAssert.AreEqual(full.History.Select(h => h.Losses["loss"]).ToArray(), resumed.History.Select(h => h.Losses["loss"]).ToArray());
        CollectionAssert.AreEqual(full.History.Select(h => h.TestAcc).ToArray(), resumed.History.Select(h => h.TestAcc).ToArray());
        Assert.AreEqual(Strip(a.Path), Strip(b.Path));
        Assert.AreEqual(4, File.ReadAllLines(Path.Combine(b.Path, "metrics.jsonl")).Length);
    }

    // Records what a run reports: the epoch it resumed after, and the epochs it trained.
    private static (TrainerEvents Events, List<int> ResumedAfter, List<int> Trained) Recorder()
    {
        var resumedAfter = new List<int>();
        var trained = new List<int>();
        return (new TrainerEvents { Resumed = resumedAfter.Add, EpochStarted = (e, _) => trained.Add(e) }, resumedAfter, trained);
    }

    // summary.json without its one timing field.
    private static string Strip(string dir)
    {
        var o = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
        o.Remove("wall_seconds");
        return o.ToJsonString();
    }

    [TestMethod]
    public void DistDropsAnEpochsLastOneRowBatchAndSaysSoOnce()
    {
        // 241 rows in batches of 16: 15 full batches and one of 1 row, which DIST cannot use (issue 17, item 4).
        var d = new MemoryDataset(241, 6, 3, seed: 2);
        manual_seed(1);
        var model = StudentRegistry.Create("mlp:16", d.SampleShape, 3);
        var logits = d.Teacher();
        var objective = Objective.Build(RecipeTerms.Of(new Recipe { Loss = "dist" })).Bound(model, d.SampleShape, logits);
        var src = new CachedBatchSource(logits, d, Id, 16, 1, 64 << 20, objective.TeacherColumns);
        src.PrepareAsync().GetAwaiter().GetResult();
        var notices = new List<string>();
        var r = new Trainer(model, objective, src, null, R with { Batch = 16, Epochs = 2 }, d.SampleShape, CPU)
            .Run(null, false, new TrainerEvents { Notice = notices.Add });
        Assert.AreEqual(2, r.History.Count);
        Assert.IsTrue(r.History.All(h => double.IsFinite(h.Losses["dist"])));
        CollectionAssert.AreEqual(new[] { "loss 'dist' needs batches of at least 2 rows: each epoch's last batch of 1 row(s) is dropped" }, notices);
    }

    [TestMethod]
    public void CeOnlyNeedsNoTeacherTensor()
    {
        var r = Train(null, R with { Epochs = 1 }, teacher: false);
        Assert.IsFalse(r.History[0].Losses.ContainsKey("mse"));
    }

    [TestMethod]
    public void ResumeBeforeTheFirstCheckpointStartsOver()
    {
        // A run killed during epoch 1 left no checkpoint: --resume trains from scratch, like an uninterrupted run.
        using var dir = new TempDir();
        using var fresh = new TempDir();
        var (events, resumedAfter, trained) = Recorder();
        var resumed = Train(dir.Path, R, resume: true, events: events);
        Assert.AreEqual(0, resumedAfter.Single());
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, trained);
        var full = Train(fresh.Path, R);
        CollectionAssert.AreEqual(full.History.Select(h => h.TestAcc).ToArray(), resumed.History.Select(h => h.TestAcc).ToArray());
        CollectionAssert.AreEqual(full.History.Select(h => h.Losses["loss"]).ToArray(), resumed.History.Select(h => h.Losses["loss"]).ToArray());
    }
}
