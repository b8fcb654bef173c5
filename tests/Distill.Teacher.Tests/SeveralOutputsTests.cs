using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>Repeated --output: each output its own list column, dense outputs flattened with their shape in the metadata.</summary>
[TestClass]
public sealed class SeveralOutputsTests
{
    [TestMethod]
    public async Task LogitsSegmentationMapAndDetectionHeadEachGetAColumn()
    {
        var req = ScaleFixtures.Request(new[] { "dense-heads.onnx" }) with { OutputNames = new[] { "logits", "seg", "boxes" } };
        var result = await LogitPrecomputer.RunAsync(req);
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            var m = cache.Metadata;
            CollectionAssert.AreEqual(new[] { "logits", "seg", "boxes" }, m.Outputs.Select(o => o.Column).ToArray());
            CollectionAssert.AreEqual(new[] { 3 }, m.Outputs[0].Shape);
            CollectionAssert.AreEqual(new[] { 3, 4, 4 }, m.Outputs[1].Shape);
            CollectionAssert.AreEqual(new[] { 2, 7 }, m.Outputs[2].Shape);
            Assert.AreEqual(3, m.ClassCount);
        }
        Assert.IsNotNull(result.Accuracy);
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("dense-heads.onnx", "logits"), ScaleFixtures.Rows(rows), 1e-5, "logits");
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("dense-heads.onnx", "seg"), ScaleFixtures.Rows(rows, 0), 1e-5, "seg");
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("dense-heads.onnx", "boxes"), ScaleFixtures.Rows(rows, 1), 1e-5, "boxes");
    }

    [TestMethod]
    public async Task ADenseOutputFirstIsStoredFlattenedInLogits()
    {
        var req = ScaleFixtures.Request(new[] { "dense-heads.onnx" }) with { OutputNames = new[] { "seg" } };
        var result = await LogitPrecomputer.RunAsync(req);
        Assert.IsNull(result.Accuracy, "no top-1 for a segmentation map");
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            Assert.AreEqual(48, cache.Metadata.Width);
            Assert.IsFalse(cache.Metadata.IsClassifier);
        }
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("dense-heads.onnx", "seg"),
            ScaleFixtures.Rows(await ScaleFixtures.ReadAll(req.OutputDirectory)), 1e-5, "seg");

        var half = req with { OutputDirectory = TestPaths.TempDir(), Encoding = CacheEncoding.Float16 };
        await LogitPrecomputer.RunAsync(half);
        var expected = ScaleFixtures.Reference("dense-heads.onnx", "seg");
        var stored = ScaleFixtures.Rows(await ScaleFixtures.ReadAll(half.OutputDirectory));
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < 48; c++)
                Assert.AreEqual(expected[r][c], stored[r][c], 1e-3 * Math.Max(1, Math.Abs(expected[r][c])), $"float16 row {r} value {c}");

        var topK = req with { OutputDirectory = TestPaths.TempDir(), Encoding = CacheEncoding.TopKOf(2) };
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(topK));
        Assert.AreEqual("--top-k needs class logits [N, C]; output 'seg' is [N,3,4,4]", e.Message);
    }

    [TestMethod]
    public async Task TwoOutputsResumeAndTopKKeepTheExtraColumn()
    {
        // features (float32 list) beside top-2 logits; a run cancelled midway and resumed equals a plain run.
        var plain = ScaleFixtures.Request(new[] { "two-outputs.onnx" }) with
        {
            OutputNames = new[] { "logits", "features" }, Encoding = CacheEncoding.TopKOf(2),
        };
        await LogitPrecomputer.RunAsync(plain);
        var resumed = plain with { OutputDirectory = TestPaths.TempDir() };
        using (var stop = new CancellationTokenSource())
        {
            await Assert.ThrowsAsync<OperationCanceledException>(() =>
                LogitPrecomputer.RunAsync(resumed, done => { if (done >= 5) stop.Cancel(); }, ct: stop.Token));
        }
        long kept = InterruptedCache.SegmentRows(resumed.OutputDirectory);
        Assert.IsTrue(kept is > 0 and < 12, $"the cancelled run left {kept} of 12 rows");
        var result = await LogitPrecomputer.RunAsync(resumed with { Resume = true });
        Assert.AreEqual(12 - kept, result.Computed, "the resumed run kept the finished row groups and computed only the rest");
        var a = await ScaleFixtures.ReadAll(plain.OutputDirectory);
        var b = await ScaleFixtures.ReadAll(resumed.OutputDirectory);
        CollectionAssert.AreEqual(ScaleFixtures.Rows(a, 0).SelectMany(x => x).ToArray(), ScaleFixtures.Rows(b, 0).SelectMany(x => x).ToArray());
        CollectionAssert.AreEqual(a.SelectMany(x => ((TopKRows)x.EncodedColumn(0)!).Index).ToArray(), b.SelectMany(x => ((TopKRows)x.EncodedColumn(0)!).Index).ToArray());
        CollectionAssert.AreEqual(a.SelectMany(x => ((TopKRows)x.EncodedColumn(0)!).LogSumExp).ToArray(), b.SelectMany(x => ((TopKRows)x.EncodedColumn(0)!).LogSumExp).ToArray());
        Assert.AreEqual(8, a[0].Extra[0].Length / a[0].Rows);
    }
}
