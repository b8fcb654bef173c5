using Distill.Data;

namespace Distill.Cache.Tests;

[TestClass]
public sealed class LogitCacheRoundTripTests
{
    [TestMethod]
    public async Task RowsIndicesLabelsAndLogitsComeBackExactly()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, rows: 1000, classes: 10, rowGroup: 256);
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual(1000L, cache.RowCount);
        Assert.AreEqual(4, cache.RowGroupCount); // 256+256+256+232
        Assert.AreEqual(232, cache.RowGroupRows(3));
        long expected = 0;
        await foreach (var b in cache.ReadAllAsync())
        {
            for (int r = 0; r < b.Rows; r++, expected++)
            {
                Assert.AreEqual(expected, b.Index[r]);
                Assert.AreEqual((int)(expected % 10), b.Labels![r]);
                for (int c = 0; c < 10; c++) Assert.AreEqual(CacheFixtures.Logit(expected, c), b.RowLogits(r)[c]);
            }
        }
        Assert.AreEqual(1000L, expected);
    }

    [TestMethod]
    public async Task MetadataRoundTripsAndCarriesRowCount()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, rows: 50, classes: 3, rowGroup: 16, labels: false);
        using var cache = LogitCacheReader.Open(dir);
        var m = cache.Metadata;
        Assert.AreEqual(3, m.ClassCount);
        Assert.AreEqual(50L, m.Rows);
        Assert.IsFalse(m.HasLabels);
        Assert.AreEqual("train", m.Split);
        CollectionAssert.AreEqual(new[] { 0.5 }, m.Preprocessing.Mean);
        CollectionAssert.AreEqual(new[] { 1, 2, 2 }, m.SampleShape);
        Assert.AreEqual("logits", m.Outputs[0].Name);
        var b = await cache.ReadRowGroupAsync(0);
        Assert.IsNull(b.Labels);
    }

    [TestMethod]
    public async Task UncompletedWriterLeavesNoPartFile()
    {
        var dir = CacheFixtures.TempDir();
        await using (var w = await LogitCacheWriter.CreateAsync(dir, CacheFixtures.Metadata(4), false, 8))
        {
            await w.WriteAsync(new long[] { 0, 1 }, new[] { 0, 1 }, new float[8]);
            Assert.IsTrue(File.Exists(w.TempPath));
            Assert.IsFalse(File.Exists(w.FinalPath));
        }
        Assert.AreEqual(0, Directory.GetFiles(dir).Length, "abandoned writer must delete its .tmp file");
        var e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir));
        StringAssert.Contains(e.Message, "no part-*.parquet");
    }

    [TestMethod]
    public async Task ExistingCacheIsNotReplacedWithoutOverwrite()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 10, 4, 8);
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() =>
            LogitCacheWriter.CreateAsync(dir, CacheFixtures.Metadata(4), overwrite: false));
        StringAssert.Contains(e.Message, "--overwrite");
        await using var w = await LogitCacheWriter.CreateAsync(dir, CacheFixtures.Metadata(4), overwrite: true);
        Assert.IsTrue(File.Exists(Path.Combine(dir, "part-00000.parquet")), "old cache stays until the new one completes");
    }

    [TestMethod]
    public async Task VerifyRefusesOtherDataSplitAndClassCount()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 1000, 10, 256);
        using var cache = LogitCacheReader.Open(dir);
        var fp = cache.Metadata.Fingerprint;
        cache.Verify(new FakeDataset("train", 1000, fp));
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => cache.Verify(new FakeDataset("test", 1000, fp))).Message, "'train' split");
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => cache.Verify(new FakeDataset("train", 1000, "ffff" + fp[4..]))).Message, "other data");
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => cache.Verify(new FakeDataset("train", 1000, fp, 12))).Message, "10 classes");
    }

    [TestMethod]
    public async Task TruncatedAndForeignFilesGiveOurError()
    {
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, 300, 10, 64);
        var bytes = File.ReadAllBytes(file);
        foreach (var cut in new[] { 0, 4, 100, bytes.Length / 2, bytes.Length - 5 })
        {
            var bad = CacheFixtures.TempDir();
            File.WriteAllBytes(Path.Combine(bad, "part-00000.parquet"), bytes[..cut]);
            Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(bad), $"cut at {cut}");
        }
        var text = CacheFixtures.TempDir();
        File.WriteAllText(Path.Combine(text, "part-00000.parquet"), "this is not parquet at all, just some text");
        Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(text));
        Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(Path.Combine(dir, "missing")));
    }
}
