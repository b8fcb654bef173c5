using System.Diagnostics;
using Distill.Cache;
using Distill.Cache.Tests;
using Parquet;

namespace Distill.Tools.Tests;

/// <summary>
/// Run integrity of precompute-logits and of caches read by both tools, through the real command lines: a second run
/// (or the same shard twice) is refused while the first holds the directory (kept running with SIGSTOP, so the
/// timing is certain); --overwrite and new shardings never lose a complete cache; parts that leave a gap or a
/// duplicate, part files and segments given as caches, --resume with other settings, and edited or corrupt files are
/// refused. Every refusal: exit code 1, exactly one "error:" line (checked to the letter), the complete cache
/// unchanged byte for byte, no .tmp file anywhere.
/// </summary>
[TestClass]
public sealed class PrecomputeIntegrityTests
{
    private static string Linear => Path.Combine(Tools.Fixtures, "names-x-linear.onnx");

    // The tiny fixture data set (40 training samples of 4×4) through a 3-class linear teacher: about a second per run.
    private static string[] Tiny(string dir, params string[] more) => new[]
    {
        "--teacher", Linear, "--dataset", Tools.TinyIdx, "--split", "train", "--mean", "0.5", "--std", "0.25",
        "--out", dir, "--device", "cpu", "--batch", "4", "--row-group", "8",
    }.Concat(more).ToArray();

    // Fashion-MNIST through the real teacher, slow enough (several seconds) to be stopped part way.
    private static string[] Slow(string dir, params string[] more) => new[]
    {
        "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "test", "--out", dir,
        "--device", "cpu", "--threads", "1", "--batch", "64", "--row-group", "128",
    }.Concat(more.Contains("--limit") ? more : more.Append("--limit").Append("2000")).ToArray();

    private static ToolRunner.Result Precompute(params string[] args) => ToolRunner.Run("precompute-logits", args);

    private static void AssertRefused(ToolRunner.Result r, string error, string what)
    {
        Assert.AreEqual(1, r.Code, $"{what}: exit code; stdout: {r.Stdout}; stderr: {r.Stderr}");
        var errors = r.ErrorLines.Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, errors, $"{what}: one error line; stderr: {r.Stderr}");
        Assert.AreEqual("error: " + error, errors[0], what);
        Assert.IsFalse(r.Stderr.Contains("   at "), $"{what}: no stack trace");
    }

    private static void AssertNoTemporaryFiles(string dir) =>
        Assert.AreEqual(0, Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories).Length, $"no .tmp left in {dir}");

    private static byte[] Snapshot(string dir) => CacheLayout.Parts(dir).SelectMany(File.ReadAllBytes).ToArray();

    /// <summary>Starts precompute-logits and freezes it (SIGSTOP) once <paramref name="ready"/> holds.</summary>
    private static Process StartAndStop(string[] args, Func<bool> ready, string what)
    {
        var p = ToolRunner.Start("precompute-logits", args, drain: true);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!ready() && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Assert.IsFalse(p.HasExited, $"{what} finished before it could be stopped");
        Assert.IsTrue(ready(), $"{what} never got ready");
        Tools.Signal(p.Id, "STOP");
        return p;
    }

    private static int Resume(Process p)
    {
        Tools.Signal(p.Id, "CONT");
        Assert.IsTrue(p.WaitForExit(180_000), "the resumed run did not finish");
        return p.ExitCode;
    }

    private static long Rows(string dir) { using var c = LogitCacheReader.Open(dir); return c.RowCount; }

    [TestMethod]
    public void ASecondRunIsRefusedWhileTheFirstHoldsTheDirectoryAndItsWorkSurvives()
    {
        var dir = Tools.TempDir();
        using var first = StartAndStop(Slow(dir), () => CacheLayout.SegmentFiles(dir).Length >= 1, "the first run");
        try
        {
            var segments = CacheLayout.SegmentFiles(dir);
            AssertRefused(Precompute(Slow(dir, "--overwrite")),
                $"output directory {dir} is in use by another run (pid {first.Id}); wait for it to finish or choose another directory", "--overwrite while running");
            AssertRefused(Precompute(Slow(dir, "--resume")),
                $"output directory {dir} is in use by another run (pid {first.Id}); wait for it to finish or choose another directory", "--resume while running");
            AssertRefused(Precompute(Slow(dir, "--shard", "2/2")),
                $"output directory {dir} is in use by another run (pid {first.Id}), which writes the whole cache; wait for it to finish or choose another directory", "a shard while a whole-cache run runs");
            CollectionAssert.IsSubsetOf(segments, CacheLayout.SegmentFiles(dir), "the running writer's segments are untouched");
        }
        finally { Assert.AreEqual(0, Resume(first)); }
        Assert.AreEqual(2000L, Rows(dir));
        AssertNoTemporaryFiles(dir);
    }

    [TestMethod]
    public void ShardsRunSideBySideButTheSameShardOrAWholeCacheRunIsRefused()
    {
        var dir = Tools.TempDir();
        using var first = StartAndStop(Slow(dir, "--shard", "1/2"), () => CacheLayout.SegmentFiles(dir).Length >= 1, "shard 1/2");
        try
        {
            AssertRefused(Precompute(Slow(dir, "--shard", "1/2", "--overwrite")),
                $"shard 1/2 of {dir} is being written by another run (pid {first.Id}); wait for it to finish", "the same shard twice");
            AssertRefused(Precompute(Slow(dir, "--overwrite")),
                $"output directory {dir} is in use by running shards (pid {first.Id} writing shard 1/2); wait for it to finish or choose another directory", "a whole-cache run over running shards");
            var second = Precompute(Slow(dir, "--shard", "2/2"));
            Assert.AreEqual(0, second.Code, second.Stderr);
            StringAssert.Contains(second.Stdout, $"cache:        {dir} is complete once shard(s) 1/2 are done");
        }
        finally { Assert.AreEqual(0, Resume(first)); }
        Assert.AreEqual(2000L, Rows(dir));
        CollectionAssert.AreEqual(new[] { "part-00000.parquet", "part-00001.parquet" }, CacheLayout.Parts(dir).Select(Path.GetFileName).ToArray());
        AssertNoTemporaryFiles(dir);
    }

    [TestMethod]
    public void AnOverwriteThatFailsOrIsKilledLeavesTheCompleteCacheAsItWas()
    {
        var dir = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Slow(dir, "--limit", "500")).Code);
        var before = Snapshot(dir);

        using (var killed = StartAndStop(Slow(dir, "--overwrite"), () => CacheLayout.SegmentFiles(dir).Length >= 2, "the overwriting run"))
        {
            killed.Kill(entireProcessTree: true);   // SIGKILL, wherever it was
            killed.WaitForExit();
        }
        CollectionAssert.AreEqual(before, Snapshot(dir), "killed: the old cache is untouched");
        var inspect = Precompute("inspect", dir, "--verify");
        Assert.AreEqual(0, inspect.Code, inspect.Stderr);
        StringAssert.Contains(inspect.Stdout, "rows:         500 × 10");

        // A replacement that fails (its teacher's logits are NaN) on a cache of the tiny data.
        var tiny = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(tiny)).Code);
        var tinyBefore = Snapshot(tiny);
        AssertRefused(Precompute(Tiny(tiny, "--overwrite").Select(a => a == Linear ? Path.Combine(Tools.Fixtures, "nan-on-dark.onnx") : a).ToArray()),
            "teacher produced NaN logits for sample 5 (class 0)", "a failing --overwrite");
        CollectionAssert.AreEqual(tinyBefore, Snapshot(tiny), "failed: the old cache is untouched");
        AssertNoTemporaryFiles(tiny);
    }

    [TestMethod]
    public void AShardOfANewShardingOverACompleteCacheKeepsItUntilTheLastShardIsDone()
    {
        var dir = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(dir)).Code);
        var before = Snapshot(dir);
        var first = Precompute(Tiny(dir, "--shard", "1/2", "--limit", "30", "--overwrite"));
        Assert.AreEqual(0, first.Code, first.Stderr);
        StringAssert.Contains(first.Stdout, $"cache:        {dir} is complete once shard(s) 2/2 are done (until then it keeps what it held before)");
        CollectionAssert.AreEqual(before, Snapshot(dir), "shard 1/2 alone replaces nothing");
        Assert.AreEqual(40L, Rows(dir));

        var second = Precompute(Tiny(dir, "--shard", "2/2", "--limit", "30", "--overwrite"));
        Assert.AreEqual(0, second.Code, second.Stderr);
        StringAssert.Contains(second.Stdout, $"cache:        {dir} is complete");
        Assert.AreEqual(30L, Rows(dir));
        CollectionAssert.AreEqual(new[] { "part-00000.parquet", "part-00001.parquet" }, CacheLayout.Parts(dir).Select(Path.GetFileName).ToArray());
        Assert.AreEqual(0, CacheLayout.Generations(dir).Length);
        AssertNoTemporaryFiles(dir);
    }

    [TestMethod]
    public void AnOlderUnfinishedShardingNeverBlocksANewOne()
    {
        var dir = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(dir, "--shard", "1/3")).Code);   // shards 2/3 and 3/3 never run
        var generation = Path.GetFileName(CacheLayout.Generations(dir).Single());
        AssertRefused(Precompute(Tiny(dir)),
            $"{dir} holds an interrupted run made with other settings ({generation}: sharding: 3 shards (that run) vs unsharded (this run)); pass --overwrite to start over", "a plain run over an older sharding");
        AssertRefused(Precompute(Tiny(dir, "--shard", "1/2", "--resume")),
            $"--resume: {dir} holds an interrupted run made with other settings ({generation}: sharding: 3 shards (that run) vs 2 shards (this run)); pass --overwrite to start over", "--resume of another sharding");
        foreach (var k in new[] { 1, 2 }) Assert.AreEqual(0, Precompute(Tiny(dir, "--shard", $"{k}/2", "--overwrite")).Code);
        Assert.AreEqual(40L, Rows(dir));
        Assert.AreEqual(0, CacheLayout.Generations(dir).Length, "the older sharding's leftovers are gone");

        // More shards than samples: the empty shard is complete.
        var empty = Tools.TempDir();
        foreach (var k in new[] { 1, 2, 3 })
        {
            var r = Precompute(Tiny(empty, "--limit", "2", "--shard", $"{k}/3"));
            Assert.AreEqual(0, r.Code, r.Stderr);
            if (k == 1) StringAssert.Contains(r.Stdout, "samples:      0 × 3 logits");
        }
        Assert.AreEqual(2L, Rows(empty));
    }

    // A part computed alone (it stays in its generation's folder) copied next to one computed with another --limit.
    private static string Assemble(string firstLimit, string secondLimit)
    {
        var dir = Tools.TempDir();
        var cache = Path.Combine(dir, "cache");
        Directory.CreateDirectory(cache);
        foreach (var (k, limit) in new[] { (1, firstLimit), (2, secondLimit) })
        {
            var alone = Path.Combine(dir, $"shard{k}");
            Assert.AreEqual(0, Precompute(Tiny(alone, "--shard", $"{k}/2", "--limit", limit)).Code);
            var part = CacheLayout.Parts(CacheLayout.Generations(alone).Single()).Single();
            File.Copy(part, Path.Combine(cache, Path.GetFileName(part)));
        }
        return cache;
    }

    [TestMethod]
    public void PartsMadeWithDifferentLimitsAreRefusedAsAGapOrADuplicateByBothTools()
    {
        var gap = Assemble("20", "40");   // samples 0..9 and 20..39
        var before = Snapshot(gap);
        string gapError = $"cache {gap} does not hold every sample exactly once: samples 10..19 are in no part (a gap; part-00000.parquet holds samples 0..9 (shard 1/2 of 20), part-00001.parquet holds samples 20..39 (shard 2/2 of 40))";
        AssertRefused(Precompute("inspect", gap), gapError, "inspect of a gap");
        AssertRefused(ToolRunner.Run("train-student", new[] { "--cache", gap, "--student", "mlp:8", "--loss", "kd", "--epochs", "1", "--out", Path.Combine(Tools.TempDir(), "run") }),
            gapError, "train-student on a gap");
        CollectionAssert.AreEqual(before, Snapshot(gap));

        var duplicate = Assemble("40", "20");   // samples 0..19 and 10..19
        AssertRefused(Precompute("inspect", duplicate),
            $"cache {duplicate} does not hold every sample exactly once: sample 10 is in two parts (a duplicate; part-00000.parquet holds samples 0..19 (shard 1/2 of 40), part-00001.parquet holds samples 10..19 (shard 2/2 of 20))", "inspect of a duplicate");
    }

    [TestMethod]
    public void APartFileOrAResumeSegmentGivenAsTheCacheIsRefused()
    {
        var dir = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(dir)).Code);
        var part = Path.Combine(dir, "part-00000.parquet");
        string error = $"cache {part} is a file; a cache is the directory that holds its part-*.parquet files ({dir})";
        AssertRefused(Precompute("inspect", part), error, "inspect of a part file");
        AssertRefused(ToolRunner.Run("train-student", new[] { "--cache", part, "--student", "mlp:8", "--loss", "kd", "--epochs", "1", "--out", Path.Combine(Tools.TempDir(), "run") }),
            error, "train-student on a part file");

        var interrupted = Tools.TempDir();
        using (var p = StartAndStop(Slow(interrupted), () => CacheLayout.SegmentFiles(interrupted).Length >= 1, "the run"))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var segment = CacheLayout.SegmentFiles(interrupted)[0];
        AssertRefused(Precompute("inspect", segment), $"cache {segment} is a file; a cache is the directory that holds its part-*.parquet files", "inspect of a segment");
        var open = Precompute("inspect", interrupted);
        Assert.AreEqual(1, open.Code);
        StringAssert.Contains(open.Stderr, $"error: cache {interrupted} is incomplete: a precompute-logits run is in progress or was interrupted (");
    }

    [TestMethod]
    public void ResumeRefusesARequestTheCacheDoesNotFulfilAndNamesTheSetting()
    {
        var dir = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(dir, "--limit", "20")).Code);
        var before = Snapshot(dir);
        AssertRefused(Precompute(Tiny(dir, "--limit", "30", "--resume")),
            $"--resume: {dir} holds a cache made with other settings (limit: 20 samples (cache) vs 30 samples (this run)); pass --overwrite to replace it", "--resume with another --limit");
        AssertRefused(Precompute(Tiny(dir, "--limit", "20", "--dtype", "float16", "--resume")),
            $"--resume: {dir} holds a cache made with other settings (encoding: logits float32 (cache) vs logits float16 (this run)); pass --overwrite to replace it", "--resume with another --dtype");
        AssertRefused(Precompute(Tiny(dir, "--limit", "20", "--shard", "1/2", "--resume")),
            $"--resume: {dir} holds a cache made with other settings (sharding: unsharded (cache) vs 2 shards (this run)); pass --overwrite to replace it", "--resume with another sharding");
        var same = Precompute(Tiny(dir, "--limit", "20", "--resume"));
        Assert.AreEqual(0, same.Code, same.Stderr);
        StringAssert.Contains(same.Stdout, "this shard of the cache was already complete; nothing to compute");
        CollectionAssert.AreEqual(before, Snapshot(dir));
    }

    // The logits chunk of row group 0: its last byte is a value (the page's values end the chunk).
    private static async Task<long> LastLogitsByte(string file)
    {
        using var stream = File.OpenRead(file);
        await using var reader = await ParquetReader.CreateAsync(stream);
        using var rg = reader.OpenRowGroupReader(0);
        var meta = rg.GetMetadata(reader.Schema.DataFields.Single(f => f.Path.ToString().StartsWith("logits", StringComparison.Ordinal)))!.MetaData!;
        return meta.DataPageOffset + meta.TotalCompressedSize - 1;
    }

    [TestMethod]
    public async Task CorruptDataPagesAndEditedValuesOrMetadataAreRefusedByBothTools()
    {
        var source = Tools.TempDir();
        Assert.AreEqual(0, Precompute(Tiny(source)).Code);
        string Copy(Action<string> damage)
        {
            var dir = Tools.TempDir();
            var file = Path.Combine(dir, "part-00000.parquet");
            File.Copy(Path.Combine(source, "part-00000.parquet"), file);
            damage(file);
            return dir;
        }
        void Refused(string dir, string error, bool needsVerify, string what)
        {
            var before = Snapshot(dir);
            if (needsVerify) Assert.AreEqual(0, Precompute("inspect", dir).Code, $"{what}: the footer is intact");
            AssertRefused(Precompute("inspect", dir, "--verify"), error, $"{what} (inspect --verify)");
            AssertRefused(ToolRunner.Run("train-student", new[] { "--cache", dir, "--student", "mlp:8", "--loss", "kd", "--epochs", "1", "--out", Path.Combine(Tools.TempDir(), "run") }),
                error, $"{what} (train-student)");
            CollectionAssert.AreEqual(before, Snapshot(dir), $"{what}: the file is left as it was");
            AssertNoTemporaryFiles(dir);
        }

        long at = await LastLogitsByte(Path.Combine(source, "part-00000.parquet"));
        var flipped = Copy(f => { var b = File.ReadAllBytes(f); b[at] ^= 0x10; File.WriteAllBytes(f, b); });
        Refused(flipped, $"{flipped}/part-00000.parquet: row group 0, column 'logits' does not match its checksum (corrupt or edited file)", true, "a flipped byte in a data page");

        foreach (var (column, edit) in new (string, Action<CachePartEditor.Groups>)[]
        {
            ("index", g => (g.Index[0][3], g.Index[0][4]) = (g.Index[0][4], g.Index[0][3])),
            ("label", g => g.Label[1][2] = (g.Label[1][2] + 1) % 3),
            ("logits", g => g.Logits[2][5] = -g.Logits[2][5]),
        })
        {
            var edited = Copy(f => CachePartEditor.EditAsync(f, edit).GetAwaiter().GetResult());
            int group = column switch { "index" => 0, "label" => 1, _ => 2 };
            Refused(edited, $"{edited}/part-00000.parquet: row group {group}, column '{column}' does not match its checksum (corrupt or edited file)", true, $"an edited {column}");
        }

        var preprocessing = Copy(f => CachePartEditor.EditAsync(f, editMetadata: kv => kv["distill.preprocessing"] = kv["distill.preprocessing"].Replace("0.25", "0.3")).GetAwaiter().GetResult());
        Refused(preprocessing, $"{preprocessing}/part-00000.parquet: the metadata does not match its checksum (distill.metadata_crc32c): the file was edited or is corrupt", false, "an edited preprocessing");
    }

    [TestMethod]
    public void CtrlCSaysHowToResumeAndTheResumedRunCompletesTheCache()
    {
        var dir = Tools.TempDir();
        // 6,000 samples leave seconds of work after the first row group.
        using var p = ToolRunner.Start("precompute-logits", Slow(dir, "--limit", "6000"));
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        Tools.PressCtrlCWhen(p, () => CacheLayout.SegmentFiles(dir).Length >= 1);
        Assert.IsTrue(p.WaitForExit(60_000));
        Assert.AreEqual(130, p.ExitCode, stderr.Result);
        StringAssert.Contains(stderr.Result, "precompute-logits was interrupted; every complete row group is kept: run the same command with --resume to continue from there");
        AssertNoTemporaryFiles(dir);
        var resumed = Precompute(Slow(dir, "--limit", "6000", "--resume"));
        Assert.AreEqual(0, resumed.Code, resumed.Stderr);
        StringAssert.Contains(resumed.Stderr, "resuming at row ");
        Assert.AreEqual(6000L, Rows(dir));
    }

    [TestMethod]
    public void ThreadCountsAndTheOutputAreCheckedWithOneLine()
    {
        AssertRefused(Precompute(Tiny("")), "--out must name a directory", "an empty --out");
        string Bound(int got) => $"--threads must be between 1 and {Distill.Data.ThreadLimit.Max} (4 × the {Environment.ProcessorCount} cores), got {got}";
        AssertRefused(Precompute(Tiny(Tools.TempDir(), "--threads", "100000")), Bound(100000), "precompute-logits --threads 100000");
        AssertRefused(Precompute(Tiny(Tools.TempDir(), "--threads", "-1")), Bound(-1), "precompute-logits --threads -1");
        AssertRefused(Precompute("bench", "--teacher", Tools.Teacher, "--threads", "100000", "--limit", "10"), Bound(100000), "bench --threads 100000");
        AssertRefused(Precompute("bench", "--teacher", Tools.Teacher, "--threads", "0", "--limit", "10"), Bound(0), "bench --threads 0");
    }
}
