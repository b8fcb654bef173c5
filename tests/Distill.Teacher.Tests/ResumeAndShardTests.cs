using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>SIGKILL at several points then --resume, and --shard k/n, must give exactly the rows of one plain run.</summary>
[TestClass]
public sealed class ResumeAndShardTests
{
    private const int Limit = 3072, RowGroup = 256, Batch = 128;

    private static async Task<(long[] Index, int[] Labels, float[] Logits)> ReadAll(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        var index = new List<long>(); var labels = new List<int>(); var logits = new List<float>();
        await foreach (var b in cache.ReadAllAsync()) { index.AddRange(b.Index); labels.AddRange(b.Labels!); logits.AddRange(b.Logits); }
        return (index.ToArray(), labels.ToArray(), logits.ToArray());
    }

    private static async Task<string> PlainRun()
    {
        var dir = TestPaths.TempDir();
        await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.FmnistTeacher, Dataset = DatasetCatalog.Open("fashion-mnist", "test"),
            Preprocessing = PreprocessingFlags.None.Require(TeacherCard.TryLoadFor(TestPaths.FmnistTeacher), TestPaths.FmnistTeacher).Value,
            OutputDirectory = dir, Device = ExecutionDevice.Cpu, BatchSize = Batch, RowGroupSize = RowGroup, Limit = Limit, Threads = 1,
        });
        return dir;
    }

    private static string[] Args(string dir) => new[]
    {
        "--teacher", TestPaths.FmnistTeacher, "--dataset", "fashion-mnist", "--split", "test", "--out", dir,
        "--limit", $"{Limit}", "--row-group", $"{RowGroup}", "--batch", $"{Batch}", "--device", "cpu", "--threads", "1",
    };

    [TestMethod]
    public async Task KilledRunsResumeToExactlyThePlainRun()
    {
        var expected = await ReadAll(await PlainRun());
        // Kill points: before any row group is done, and after 1, 4 and 9 of 12 complete row groups.
        foreach (int segments in new[] { 0, 1, 4, 9 })
        {
            var dir = TestPaths.TempDir();
            using (var p = ToolRunner.Start("precompute-logits", Args(dir), drain: true))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (!p.HasExited && DateTime.UtcNow < deadline &&
                       (segments == 0 ? WorkDirectories(dir).Length == 0 : CacheLayout.SegmentFiles(dir).Length < segments))
                    Thread.Sleep(5);
                Assert.IsFalse(p.HasExited, $"the run ended before the kill point ({segments} row groups)");
                p.Kill(entireProcessTree: true); // SIGKILL
                p.WaitForExit();
            }
            // Nothing without the temporary suffix is partial: no part file yet, every segment reads back whole.
            Assert.AreEqual(0, CacheLayout.Parts(dir).Length);
            long kept = CacheLayout.SegmentFiles(dir).Length;
            Assert.IsGreaterThanOrEqualTo((long)segments, kept);
            foreach (var seg in CacheLayout.SegmentFiles(dir))
                using (var reader = await LogitCacheReader.OpenSegmentAsync(seg))
                    for (int g = 0; g < reader.RowGroupCount; g++) await reader.ReadRowGroupAsync(g);
            var open = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir), "an interrupted cache must not open");
            StringAssert.Contains(open.Message, "is incomplete");

            var refused = ToolRunner.Run("precompute-logits", Args(dir), timeoutSeconds: 120);
            Assert.AreEqual(1, refused.Code);
            StringAssert.Contains(refused.Stderr, "--resume");

            var resumed = ToolRunner.Run("precompute-logits", Args(dir).Append("--resume").ToArray(), timeoutSeconds: 120);
            Assert.AreEqual(0, resumed.Code, resumed.Stderr);
            // Continuation, not a rerun: exactly the rows after the kept row groups were computed.
            if (kept > 0) StringAssert.Contains(resumed.Stderr, $"resuming at row {kept * RowGroup:N0} ({kept * RowGroup:N0} of {Limit:N0} already cached)");
            StringAssert.Contains(resumed.Stdout, $"{Limit - kept * RowGroup:N0} computed now");
            var got = await ReadAll(dir);
            CollectionAssert.AreEqual(expected.Index, got.Index, $"kill after {segments}");
            CollectionAssert.AreEqual(expected.Labels, got.Labels);
            CollectionAssert.AreEqual(expected.Logits, got.Logits, $"logits after kill at {segments} row groups");
            Assert.AreEqual(0, CacheLayout.Generations(dir).Length, "the generation folder is removed once installed");
        }
    }

    private static string[] WorkDirectories(string dir) =>
        CacheLayout.Generations(dir).SelectMany(g => Directory.GetDirectories(g, ".part-*.work")).ToArray();

    [TestMethod]
    public async Task ThreeShardsEqualOnePlainRunAndAMissingShardIsRefused()
    {
        var expected = await ReadAll(await PlainRun());
        var dir = TestPaths.TempDir();
        foreach (var k in new[] { 2, 1, 3 })
        {
            var r = ToolRunner.Run("precompute-logits", Args(dir).Concat(new[] { "--shard", $"{k}/3" }).ToArray(), timeoutSeconds: 120);
            Assert.AreEqual(0, r.Code, r.Stderr);
            if (k == 1)
            {
                StringAssert.Contains(r.Stdout, "complete once shard(s) 3/3 are done");
                var e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir));
                StringAssert.Contains(e.Message, "is incomplete: a precompute-logits run is in progress or was interrupted");
                StringAssert.Contains(e.Message, "part-00000.parquet, part-00001.parquet finished");
            }
        }
        CollectionAssert.AreEqual(new[] { "part-00000.parquet", "part-00001.parquet", "part-00002.parquet" },
            CacheLayout.Parts(dir).Select(Path.GetFileName).ToArray());
        Assert.AreEqual(0, CacheLayout.Generations(dir).Length, "the shards' generation is installed and removed");
        var got = await ReadAll(dir);
        CollectionAssert.AreEqual(expected.Index, got.Index);
        CollectionAssert.AreEqual(expected.Logits, got.Logits);
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual((long)Limit, cache.RowCount);
    }
}
