using System.Text.Json.Nodes;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// SIGKILL at random points (10 trials for precompute-logits, 5 for train-student), then --resume: the results equal an
/// uninterrupted run's, and no file without the temporary suffix is ever partial.
/// </summary>
[TestClass]
public sealed class CrashTests
{
    private static string[] PrecomputeArgs(string outDir) => new[]
    {
        "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "test", "--limit", "2048", "--out", outDir,
        "--row-group", "128", "--batch", "128", "--threads", "1", "--device", "cpu",
    };

    private static async Task<(long[] Index, float[] Logits)> ReadAll(string dir)
    {
        using var c = LogitCacheReader.Open(dir);
        var index = new List<long>(); var logits = new List<float>();
        await foreach (var b in c.ReadAllAsync()) { index.AddRange(b.Index); logits.AddRange(b.Logits); }
        return (index.ToArray(), logits.ToArray());
    }

    private static void KillAfter(string tool, string[] args, TimeSpan delay)
    {
        using var p = ToolRunner.Start(tool, args, drain: true);
        if (!p.WaitForExit(delay)) { p.Kill(entireProcessTree: true); p.WaitForExit(); }
    }

    [TestMethod]
    public async Task PrecomputeLogitsSurvivesTenKills()
    {
        var plainDir = Tools.TempDir();
        Assert.AreEqual(0, ToolRunner.Run("precompute-logits", PrecomputeArgs(plainDir)).Code);
        var plain = await ReadAll(plainDir);
        var rng = new Random(20261122);
        int interrupted = 0;
        for (int trial = 0; trial < 10; trial++)
        {
            var dir = Tools.TempDir();
            KillAfter("precompute-logits", PrecomputeArgs(dir), TimeSpan.FromMilliseconds(rng.Next(300, 2500)));
            var part = Path.Combine(dir, "part-00000.parquet");
            if (File.Exists(part)) await ReadAll(dir); // a file with its final name is always complete
            else interrupted++;
            foreach (var seg in CacheLayout.SegmentFiles(dir))
                using (await LogitCacheReader.OpenSegmentAsync(seg)) { }
            var resumed = ToolRunner.Run("precompute-logits", PrecomputeArgs(dir).Append("--resume").ToArray());
            Assert.AreEqual(0, resumed.Code, $"trial {trial}: {resumed.Stderr}");
            var got = await ReadAll(dir);
            CollectionAssert.AreEqual(plain.Index, got.Index, $"trial {trial}");
            CollectionAssert.AreEqual(plain.Logits, got.Logits, $"trial {trial}");
        }
        Assert.IsTrue(interrupted >= 5, $"only {interrupted} of 10 kills landed before the end: the trials test too little");
    }

    private static string[] TrainArgs(string cache, string outDir) => new[]
    {
        "--cache", cache, "--split", "test", "--student", "mlp:32", "--loss", "kd", "--epochs", "8", "--batch", "256",
        "--seed", "3", "--threads", "1", "--out", outDir,
    };

    private static JsonObject Summary(string outDir)
    {
        var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        s.Remove("wall_seconds");
        return s;
    }

    // Everything equal; training-loss averages to 1e-6 relative: after a reload, float32 matrix products may round
    // differently in the last bits (the accuracies, counts and recipe are still exactly equal).
    private static void AssertSameSummary(JsonNode expected, JsonNode actual, string what, string path = "")
    {
        switch (expected)
        {
            case JsonObject eo:
                var ao = actual as JsonObject ?? throw new AssertFailedException($"{what}: {path} is not an object");
                CollectionAssert.AreEquivalent(eo.Select(p => p.Key).ToList(), ao.Select(p => p.Key).ToList(), $"{what}: keys of {path}");
                foreach (var (k, v) in eo) AssertSameSummary(v!, ao[k]!, what, path + "." + k);
                break;
            case JsonValue ev when ev.TryGetValue<double>(out var e) && path.StartsWith(".final_losses"):
                double a = actual.GetValue<double>();
                Assert.AreEqual(e, a, 1e-6 * Math.Max(1, Math.Abs(e)), $"{what}: {path}");
                break;
            default:
                Assert.AreEqual(expected?.ToJsonString(), actual?.ToJsonString(), $"{what}: {path}");
                break;
        }
    }

    [TestMethod]
    public void TrainStudentSurvivesFiveKills()
    {
        var cache = Tools.TempDir();
        Assert.AreEqual(0, ToolRunner.Run("precompute-logits", new[] { "--teacher", Tools.Teacher, "--dataset", "fashion-mnist",
            "--split", "test", "--out", cache, "--overwrite", "--device", "cpu", "--threads", "2" }).Code);
        var plainDir = Path.Combine(Tools.TempDir(), "run");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var plain = ToolRunner.Run("train-student", TrainArgs(cache, plainDir));
        double wallMs = watch.Elapsed.TotalMilliseconds;
        Assert.AreEqual(0, plain.Code, plain.Stderr);
        var expected = Summary(plainDir).ToJsonString();
        Assert.IsFalse(string.IsNullOrEmpty(expected));
        var rng = new Random(7);
        int interrupted = 0;
        for (int trial = 0; trial < 5; trial++)
        {
            var dir = Path.Combine(Tools.TempDir(), "run");
            // Anywhere between process start-up and the last epoch of an uninterrupted run.
            KillAfter("train-student", TrainArgs(cache, dir), TimeSpan.FromMilliseconds(wallMs * (0.1 + 0.75 * rng.NextDouble())));
            if (!File.Exists(Path.Combine(dir, "summary.json"))) interrupted++;
            var resumed = ToolRunner.Run("train-student", TrainArgs(cache, dir).Append("--resume").ToArray());
            Assert.AreEqual(0, resumed.Code, $"trial {trial}: {resumed.Stderr}");
            AssertSameSummary(JsonNode.Parse(expected)!, Summary(dir), $"trial {trial}");
        }
        Assert.IsTrue(interrupted >= 3, $"only {interrupted} of 5 kills landed before the end");
    }
}
