using Distill.Data;

namespace Distill.Cache.Tests;

/// <summary>
/// The write session's rules, in process: a complete cache survives until its replacement is complete (also for a new
/// sharding, shard by shard), stale generations go, empty shards are complete, --resume refuses what the cache does
/// not fulfil naming the setting, and the locks let shards run side by side but not the same shard twice. Expected
/// rows are computed here (<see cref="CacheFixtures.Logit"/> plus an offset per run).
/// </summary>
[TestClass]
public sealed class CacheWriteSessionTests
{
    private const int Samples = 40, Classes = 3, RowGroup = 8;

    private static CacheMetadata Meta(string shard = "1/1", int limit = 0, CacheEncoding? encoding = null) =>
        CacheFixtures.Metadata(Classes, count: Samples, encoding: encoding) with { Shard = shard, Limit = limit };

    private static float Value(long sample, int c, float offset) => CacheFixtures.Logit(sample, c) + offset;

    /// <summary>Writes rows [ResumeRow, stopAt ?? EndRow) of the session's shard, logits offset by <paramref name="offset"/>.</summary>
    private static async Task WriteRows(CacheWriteSession s, float offset, long? stopAt = null)
    {
        for (long row = s.ResumeRow; row < (stopAt ?? s.EndRow); row += 5)
        {
            int n = (int)Math.Min(5, (stopAt ?? s.EndRow) - row);
            var index = Enumerable.Range(0, n).Select(i => row + i).ToArray();
            var logits = index.SelectMany(i => Enumerable.Range(0, Classes).Select(c => Value(i, c, offset))).ToArray();
            await s.WriteAsync(new LogitBatch { Rows = n, ClassCount = Classes, Index = index, Labels = index.Select(i => (int)(i % Classes)).ToArray(), Logits = logits });
        }
    }

    private static async Task<CacheWriteResult> Run(string dir, CacheMetadata meta, float offset, bool resume = false, bool overwrite = false)
    {
        await using var s = CacheWriteSession.Begin(dir, meta.ShardSpec, resume, overwrite);
        await s.StartAsync(meta, RowGroup);
        if (!s.AlreadyComplete) await WriteRows(s, offset);
        return await s.CompleteAsync();
    }

    private static async Task<float[]> ReadLogits(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        var all = new List<float>();
        for (int g = 0; g < cache.RowGroupCount; g++) all.AddRange((await cache.ReadRowGroupAsync(g)).Logits);
        return all.ToArray();
    }

    private static float[] Expected(int samples, float offset) =>
        Enumerable.Range(0, samples).SelectMany(i => Enumerable.Range(0, Classes).Select(c => Value(i, c, offset))).ToArray();

    private static byte[] Snapshot(string dir) => CacheLayout.Parts(dir).SelectMany(File.ReadAllBytes).ToArray();

    private static void AssertNoTemporaryFiles(string dir) =>
        Assert.AreEqual(0, Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories).Length, "no .tmp left");

    [TestMethod]
    public async Task OverwriteKeepsTheCompleteCacheUntilTheNewOneIsComplete()
    {
        var dir = CacheFixtures.TempDir();
        await Run(dir, Meta(), offset: 0);
        var before = Snapshot(dir);
        StringAssert.Contains((await Assert.ThrowsExactlyAsync<DistillException>(() => Run(dir, Meta(), 5))).Message, "already holds a cache (pass --overwrite to replace it)");

        // A replacement that stops half way (a failure, then the session is disposed): the old cache is untouched.
        await using (var s = CacheWriteSession.Begin(dir, ShardSpec.Whole, resume: false, overwrite: true))
        {
            await s.StartAsync(Meta(), RowGroup);
            await WriteRows(s, offset: 100, stopAt: 20);
        }
        CollectionAssert.AreEqual(before, Snapshot(dir));
        CollectionAssert.AreEqual(Expected(Samples, 0), await ReadLogits(dir));
        AssertNoTemporaryFiles(dir);

        var done = await Run(dir, Meta(), offset: 100, overwrite: true);
        Assert.IsTrue(done.Installed);
        CollectionAssert.AreEqual(Expected(Samples, 100), await ReadLogits(dir));
        Assert.AreEqual(0, CacheLayout.Generations(dir).Length, "nothing of the replaced run is left");
        AssertNoTemporaryFiles(dir);
    }

    [TestMethod]
    public async Task AShardOfANewShardingOverACompleteCacheKeepsItUntilEveryShardIsDone()
    {
        var dir = CacheFixtures.TempDir();
        await Run(dir, Meta(), offset: 0);
        var before = Snapshot(dir);
        var first = await Run(dir, Meta("1/2"), offset: 7, overwrite: true);
        Assert.IsFalse(first.Installed);
        CollectionAssert.AreEqual(new[] { new ShardSpec(2, 2) }, first.MissingShards.ToArray());
        CollectionAssert.AreEqual(before, Snapshot(dir), "the complete cache is untouched while shard 2/2 is missing");
        CollectionAssert.AreEqual(Expected(Samples, 0), await ReadLogits(dir));

        Assert.IsTrue((await Run(dir, Meta("2/2"), offset: 7, overwrite: true)).Installed);
        CollectionAssert.AreEqual(new[] { "part-00000.parquet", "part-00001.parquet" }, CacheLayout.Parts(dir).Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(Expected(Samples, 7), await ReadLogits(dir));
    }

    [TestMethod]
    public async Task ANewShardingReplacesAnOlderOneAndItsLeftovers()
    {
        var dir = CacheFixtures.TempDir();
        for (int k = 1; k <= 3; k++) await Run(dir, Meta($"{k}/3"), offset: 1);
        Assert.HasCount(3, CacheLayout.Parts(dir));
        // An older sharding that never finished (shard 1/4 only) must not block anything.
        await Run(dir, Meta("1/4", limit: 30), offset: 2, overwrite: true);
        for (int k = 1; k <= 2; k++) await Run(dir, Meta($"{k}/2"), offset: 3, overwrite: true);
        CollectionAssert.AreEqual(new[] { "part-00000.parquet", "part-00001.parquet" }, CacheLayout.Parts(dir).Select(Path.GetFileName).ToArray(),
            "part-00002 of the 3-way sharding is gone");
        CollectionAssert.AreEqual(Expected(Samples, 3), await ReadLogits(dir));
        Assert.AreEqual(0, CacheLayout.Generations(dir).Length, "the unfinished 4-way sharding is removed with the installation");

        // Interrupted sharding without --overwrite: refused, naming how it differs.
        var other = CacheFixtures.TempDir();
        await Run(other, Meta("1/4"), offset: 0);
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Run(other, Meta(), offset: 0));
        StringAssert.Contains(e.Message, "holds an interrupted run made with other settings");
        StringAssert.Contains(e.Message, "sharding: 4 shards (that run) vs unsharded (this run)");
        await Run(other, Meta(), offset: 0, overwrite: true);
        CollectionAssert.AreEqual(Expected(Samples, 0), await ReadLogits(other));
        Assert.AreEqual(0, CacheLayout.Generations(other).Length);
    }

    [TestMethod]
    public async Task AShardWithNoSamplesIsComplete()
    {
        var dir = CacheFixtures.TempDir();
        var meta = Meta("1/3", limit: 2);   // 2 samples in 3 shards: shard 1/3 covers none
        Assert.AreEqual((0, 0), meta.SampleRange);
        var empty = await Run(dir, meta, offset: 0);
        Assert.HasCount(2, empty.MissingShards);
        for (int k = 2; k <= 3; k++) await Run(dir, Meta($"{k}/3", limit: 2), offset: 0);
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual(2L, cache.RowCount);
        Assert.AreEqual(0L, cache.PartMetadata[0].Rows);
        CollectionAssert.AreEqual(Expected(2, 0), await ReadLogits(dir));
    }

    [TestMethod]
    public async Task ResumeRefusesARequestTheCacheDoesNotFulfilNamingTheSetting()
    {
        var dir = CacheFixtures.TempDir();
        await Run(dir, Meta(limit: 16), offset: 0);
        async Task<string> Refused(CacheMetadata m) => (await Assert.ThrowsExactlyAsync<DistillException>(() => Run(dir, m, 0, resume: true))).Message;
        Assert.AreEqual($"--resume: {dir} holds a cache made with other settings (limit: 16 samples (cache) vs 24 samples (this run)); pass --overwrite to replace it",
            await Refused(Meta(limit: 24)));
        StringAssert.Contains(await Refused(Meta(limit: 16, encoding: CacheEncoding.Float16)), "encoding: logits float32 (cache) vs logits float16 (this run)");
        StringAssert.Contains(await Refused(Meta(limit: 16, encoding: CacheEncoding.TopKOf(2))),
            "encoding: logits float32 (cache) vs logits top-2 float32 logits + float32 log-sum-exp, label logit, mean/std (this run); compression: none (cache) vs zstd (this run)");
        StringAssert.Contains(await Refused(Meta(limit: 16) with { Preprocessing = new Preprocessing(1 / 255.0, new[] { 0.5 }, new[] { 0.3 }) }), "preprocessing: {");
        StringAssert.Contains(await Refused(Meta("1/2", limit: 16)), "sharding: unsharded (cache) vs 2 shards (this run)");
        // The same request: already complete, nothing computed, nothing changed.
        var before = Snapshot(dir);
        await using (var s = CacheWriteSession.Begin(dir, ShardSpec.Whole, resume: true, overwrite: false))
        {
            await s.StartAsync(Meta(limit: 16), RowGroup);
            Assert.IsTrue(s.AlreadyComplete);
            Assert.IsTrue((await s.CompleteAsync()).Installed);
        }
        CollectionAssert.AreEqual(before, Snapshot(dir));
    }

    [TestMethod]
    public async Task AnInterruptedRunIsRefusedWithoutFlagsAndResumedFromItsSegments()
    {
        var dir = CacheFixtures.TempDir();
        await using (var s = CacheWriteSession.Begin(dir, ShardSpec.Whole, false, false))
        {
            await s.StartAsync(Meta(), RowGroup);
            await WriteRows(s, offset: 4, stopAt: 27);   // three complete row groups of 8, then 3 rows
        }
        StringAssert.Contains((await Assert.ThrowsExactlyAsync<DistillException>(() => Run(dir, Meta(), 4))).Message,
            "holds an interrupted run (");
        await using (var s = CacheWriteSession.Begin(dir, ShardSpec.Whole, resume: true, overwrite: false))
        {
            await s.StartAsync(Meta(), RowGroup);
            Assert.AreEqual(24L, s.ResumeRow, "the three complete row groups are kept");
            await WriteRows(s, offset: 4);
            await s.CompleteAsync();
        }
        CollectionAssert.AreEqual(Expected(Samples, 4), await ReadLogits(dir));
    }

    [TestMethod]
    public async Task ShardsRunSideBySideButNotTwiceAndAWholeCacheRunWaitsForThem()
    {
        var dir = CacheFixtures.TempDir();
        int pid = Environment.ProcessId;   // flock locks belong to open files: two sessions in one process conflict too
        await using (var one = CacheWriteSession.Begin(dir, new ShardSpec(1, 2), false, false))
        {
            await one.StartAsync(Meta("1/2"), RowGroup);
            await using (var two = CacheWriteSession.Begin(dir, new ShardSpec(2, 2), false, false))
                await two.StartAsync(Meta("2/2"), RowGroup);   // another shard proceeds

            var again = CacheWriteSession.Begin(dir, new ShardSpec(1, 2), false, true);
            var e = await Assert.ThrowsExactlyAsync<DistillException>(() => again.StartAsync(Meta("1/2"), RowGroup));
            Assert.AreEqual($"shard 1/2 of {dir} is being written by another run (pid {pid}); wait for it to finish", e.Message);
            await again.DisposeAsync();

            e = Assert.ThrowsExactly<DistillException>(() => CacheWriteSession.Begin(dir, ShardSpec.Whole, false, true));
            Assert.AreEqual($"output directory {dir} is in use by running shards (pid {pid} writing shard 1/2); wait for it to finish or choose another directory", e.Message);
            await WriteRows(one, 0);
            await one.CompleteAsync();
        }
        await using (var whole = CacheWriteSession.Begin(dir, ShardSpec.Whole, false, true))
        {
            var e = Assert.ThrowsExactly<DistillException>(() => CacheWriteSession.Begin(dir, new ShardSpec(2, 2), false, false));
            Assert.AreEqual($"output directory {dir} is in use by another run (pid {pid}), which writes the whole cache; wait for it to finish or choose another directory", e.Message);
        }
    }

    [TestMethod]
    public async Task ARunOvertakenByAnotherInstallationFailsInsteadOfReplacingIt()
    {
        var dir = CacheFixtures.TempDir();
        await Run(dir, Meta("1/2"), offset: 1);                            // a sharding half done ...
        await using (var second = CacheWriteSession.Begin(dir, new ShardSpec(2, 2), false, false))
        {
            await second.StartAsync(Meta("2/2"), RowGroup);                // ... its last shard running ...
            for (int k = 1; k <= 2; k++)                                   // ... while another cache is installed
                await Run(dir, Meta($"{k}/2", limit: 10), offset: 2, overwrite: true);
            await WriteRows(second, 1);
            var e = await Assert.ThrowsExactlyAsync<DistillException>(() => second.CompleteAsync());
            StringAssert.StartsWith(e.Message, $"{dir} was replaced by another run while this one ran; its complete cache stays in");
        }
        CollectionAssert.AreEqual(Expected(10, 2), await ReadLogits(dir), "the installed cache stays");
        var again = await Assert.ThrowsExactlyAsync<DistillException>(() => Run(dir, Meta("2/2"), offset: 1, resume: true));
        StringAssert.Contains(again.Message, "was replaced by another run after this run");
        AssertNoTemporaryFiles(dir);
    }
}
