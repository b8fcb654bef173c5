namespace Distill.Cache.Tests;

/// <summary>
/// float16 and top-K caches against the float32 logits they were made from (CacheFixtures.Logit), with every
/// expectation worked out here in double precision.
/// </summary>
[TestClass]
public sealed class CacheEncodingTests
{
    private static double[] Row(long i, int classes) => Enumerable.Range(0, classes).Select(c => (double)CacheFixtures.Logit(i, c)).ToArray();

    private static double LogSumExp(double[] z)
    {
        double m = z.Max();
        return m + Math.Log(z.Sum(x => Math.Exp(x - m)));
    }

    private static async Task<List<LogitBatch>> ReadAll(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        var all = new List<LogitBatch>();
        await foreach (var b in cache.ReadAllAsync()) all.Add(b);
        return all;
    }

    [TestMethod]
    public async Task Float16IsWithinOneThousandthRelative()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 500, 12, 128, encoding: CacheEncoding.Float16);
        using (var cache = LogitCacheReader.Open(dir)) Assert.IsInstanceOfType<Float16Codec>(cache.Metadata.LogitsCodec);
        double worst = 0;
        foreach (var b in await ReadAll(dir))
            for (int r = 0; r < b.Rows; r++)
                for (int c = 0; c < 12; c++)
                {
                    double exact = CacheFixtures.Logit(b.Index[r], c), got = b.RowLogits(r)[c];
                    worst = Math.Max(worst, Math.Abs(got - exact) / Math.Max(Math.Abs(exact), 1e-2));
                }
        Assert.IsTrue(worst < 1e-3, $"worst relative error {worst}");
        Assert.IsTrue(worst > 0, "values must really be stored as float16");
    }

    [TestMethod]
    public async Task AFloat16ValueOutOfRangeIsRefusedWhenWritten()
    {
        var dir = CacheFixtures.TempDir();
        await using var w = await LogitCacheWriter.CreateAsync(dir, CacheFixtures.Metadata(2, count: 1, encoding: CacheEncoding.Float16), false, 8);
        var e = await Assert.ThrowsExactlyAsync<Distill.Data.DistillException>(() => w.WriteAsync(new long[] { 0 }, new[] { 0 }, new[] { 1f, 70000f }));
        Assert.AreEqual("column 'logits': value 70000 exceeds float16's range (±65,504); store this column as float32 (--dtype logits=float32)", e.Message);
    }

    [TestMethod]
    public async Task TopKWithKEqualToCGivesTheTeachersRowBack()
    {
        const int C = 10;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 300, C, 64, encoding: CacheEncoding.TopKOf(C));
        foreach (var b in await ReadAll(dir))
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Row(b.Index[r], C);
                for (int c = 0; c < C; c++) Assert.AreEqual((float)z[c], b.RowLogits(r)[c], $"row {b.Index[r]} class {c}: the row itself");
                var t = (TopKRows)b.EncodedColumn(0)!;
                Assert.AreEqual(LogSumExp(z), t.LogSumExp[r], 1e-5, "the float32 log-sum-exp");
            }
    }

    [TestMethod]
    public async Task TopKKeepsTheLargestTheLabelAndSpreadsTheRestEvenly()
    {
        const int C = 50, K = 5;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 200, C, 64, encoding: CacheEncoding.TopKOf(K));
        int labelOutside = 0;
        foreach (var b in await ReadAll(dir))
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Row(b.Index[r], C);
                int label = CacheFixtures.Label(b.Index[r], C);
                Assert.AreEqual(label, b.Labels![r]);
                var order = Enumerable.Range(0, C).OrderByDescending(c => (float)z[c]).ThenBy(c => c).Take(K).ToArray();
                var t = (TopKRows)b.EncodedColumn(0)!;
                CollectionAssert.AreEqual(order, t.Index.Skip(r * K).Take(K).ToArray(), "the K largest, descending");
                CollectionAssert.AreEqual(order.Select(c => (float)z[c]).ToArray(), t.Values.Skip(r * K).Take(K).ToArray(), "their float32 logits");
                Assert.AreEqual((float)z[label], t.LabelLogit![r], "the label's logit, exact");
                double mean = z.Average(), std = Math.Sqrt(z.Sum(x => (x - mean) * (x - mean)) / (C - 1));
                Assert.AreEqual(mean, t.Mean![r], 1e-6 * Math.Max(1, Math.Abs(mean)), "mean of all C logits");
                Assert.AreEqual(std, t.Std![r], 1e-6 * std, "unbiased std of all C logits");

                // The log-sum-exp is float32: exact up to its rounding. The dense view: known classes (top K and the
                // label) exact, the others share the rest of the mass (worked out from the stored log-sum-exp).
                Assert.AreEqual((float)LogSumExp(z), (float)t.LogSumExp[r], $"row {b.Index[r]}: the float32 log-sum-exp");
                double lse = t.LogSumExp[r];
                var known = order.Append(label).Distinct().ToArray();
                labelOutside += known.Length > K ? 1 : 0;
                double tail = Math.Log((1 - known.Sum(c => Math.Exp(z[c] - lse))) / (C - known.Length)) + lse;
                var dense = b.RowLogits(r).ToArray();
                for (int c = 0; c < C; c++)
                    Assert.AreEqual(known.Contains(c) ? (float)z[c] : tail, dense[c], known.Contains(c) ? 0 : 1e-4, $"row {b.Index[r]} class {c}");
                Assert.AreEqual(1.0, dense.Sum(v => Math.Exp(v - lse)), 1e-5, "softmax at T = 1 sums to one with the stored log-sum-exp");
                foreach (var c in known) Assert.AreEqual(z[c] - LogSumExp(z), dense[c] - lse, 1e-5, "log p of a known class, exact up to the float32 log-sum-exp");
                Assert.AreEqual(order[0], LogitBatch.ArgMax(dense));
            }
        Assert.IsTrue(labelOutside > 100, $"most labels rank outside the top 5 here, so the label logit is exercised ({labelOutside})");
    }

    [TestMethod]
    public async Task TopKInFloat16RoundsOnlyTheStoredLogits()
    {
        const int C = 40, K = 4;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 100, C, 32, encoding: CacheEncoding.TopKOf(K) with { Dtype = StoredFloat.Float16 });
        foreach (var b in await ReadAll(dir))
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Row(b.Index[r], C);
                var t = (TopKRows)b.EncodedColumn(0)!;
                for (int j = 0; j < K; j++)
                    Assert.AreEqual((float)(Half)(float)z[t.Index[r * K + j]], t.Values[r * K + j], "binary16 rounding of the float32 logit");
                Assert.AreEqual((float)LogSumExp(z), (float)t.LogSumExp[r], 1e-5f, "the log-sum-exp stays float32");
                int label = CacheFixtures.Label(b.Index[r], C);
                Assert.AreEqual((float)z[label], b.RowLogits(r)[label], "the label's class gets its exact float32 logit");
            }
    }

    [TestMethod]
    public async Task WithoutExtrasOnlyTheTopKAreKnown()
    {
        const int C = 20, K = 3;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 50, C, 16, encoding: CacheEncoding.TopKOf(K) with { TopKExtras = TopKExtras.None });
        using (var cache = LogitCacheReader.Open(dir))
            Assert.AreEqual("top-3 float32 logits + float32 log-sum-exp", cache.Metadata.LogitsCodec.Describe(cache.Metadata.Outputs[0]));
        foreach (var b in await ReadAll(dir))
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Row(b.Index[r], C);
                var t = (TopKRows)b.EncodedColumn(0)!;
                Assert.IsNull(t.LabelLogit);
                Assert.IsNull(t.Mean);
                double lse = t.LogSumExp[r];
                var top = t.Index.Skip(r * K).Take(K).ToArray();
                double tail = Math.Log((1 - top.Sum(c => Math.Exp(z[c] - lse))) / (C - K)) + lse;
                foreach (var c in Enumerable.Range(0, C).Except(top)) Assert.AreEqual(tail, b.RowLogits(r)[c], 1e-4);
            }
    }

    [TestMethod]
    public async Task RowsReadFromATopKCacheAreWrittenAgainExactlyAsStored()
    {
        const int C = 30;
        var source = CacheFixtures.TempDir();
        var encoding = CacheEncoding.TopKOf(4) with { Dtype = StoredFloat.Float16 };
        await CacheFixtures.WriteAsync(source, 90, C, 32, encoding: encoding);
        var batches = await ReadAll(source);
        var copy = CacheFixtures.TempDir();
        await using (var w = await LogitCacheWriter.CreateAsync(copy, CacheFixtures.Metadata(C, count: 90, encoding: encoding), false, 32))
        {
            foreach (var b in batches) await w.WriteAsync(b);
            await w.CompleteAsync();
        }
        var again = await ReadAll(copy);
        for (int g = 0; g < batches.Count; g++)
        {
            var (a, b) = ((TopKRows)batches[g].EncodedColumn(0)!, (TopKRows)again[g].EncodedColumn(0)!);
            CollectionAssert.AreEqual(a.Index, b.Index);
            CollectionAssert.AreEqual(a.Values, b.Values);
            CollectionAssert.AreEqual(a.LogSumExp, b.LogSumExp);
            CollectionAssert.AreEqual(a.LabelLogit, b.LabelLogit);
            CollectionAssert.AreEqual(a.Std, b.Std);
        }
    }

    [TestMethod]
    public void TopKOfADenseOutputOrLargerThanCIsOneLine()
    {
        var logits = new CacheOutput("logits", "logits", new[] { 10 });
        Assert.AreEqual("--top-k 11 exceeds the 10 classes of output 'logits'",
            Assert.ThrowsExactly<Distill.Data.DistillException>(() => CacheEncoding.TopKOf(11).CodecsFor(new[] { logits }, 10, true)).Message);
        var map = new CacheOutput("seg", "logits", new[] { 3, 4, 4 });
        Assert.AreEqual("--top-k needs class logits [N, C]; output 'seg' is [N,3,4,4]",
            Assert.ThrowsExactly<Distill.Data.DistillException>(() => CacheEncoding.TopKOf(2).CodecsFor(new[] { map }, 3, true)).Message);
    }

    [TestMethod]
    public void DtypePerColumnAndTopKOfEveryTeachersLogits()
    {
        var outputs = new[]
        {
            new CacheOutput("logits", "logits", new[] { 10 }, 0), new CacheOutput("feat", "feat", new[] { 4 }, 0),
            new CacheOutput("logits", "logits_t1", new[] { 10 }, 1),
        };
        var codecs = CacheEncoding.Parse(new[] { "float16", "feat=float32" }, 3, "label").CodecsFor(outputs, 10, hasLabels: true);
        Assert.AreEqual("top-3 float16 logits + float32 log-sum-exp, label logit", codecs[0].Describe(outputs[0]));
        Assert.AreEqual("float32", codecs[1].Describe(outputs[1]));
        Assert.AreEqual("top-3 float16 logits + float32 log-sum-exp, label logit", codecs[2].Describe(outputs[2]));
        Assert.AreEqual("top-3 float16 logits + float32 log-sum-exp", CacheEncoding.Parse(new[] { "float16" }, 3, "label").CodecsFor(outputs, 10, hasLabels: false)[0].Describe(outputs[0]),
            "no labels, no label logit");
        Assert.AreEqual("float16", CacheEncoding.Parse(new[] { "logits_t1=float16" }, 0).CodecsFor(outputs, 10, true)[2].Describe(outputs[2]));
        Assert.AreEqual("--dtype names column 'features', which this cache does not store (it stores: logits, feat, logits_t1 (logits))",
            Assert.ThrowsExactly<Distill.Data.DistillException>(() => CacheEncoding.Parse(new[] { "features=float16" }, 0).CodecsFor(outputs, 10, true)).Message);
        Assert.AreEqual("--dtype expects float32 or float16, or COLUMN=float32|float16 for one column, got 'feat=half'",
            Assert.ThrowsExactly<Distill.Data.DistillException>(() => CacheEncoding.Parse(new[] { "feat=half" }, 0)).Message);
        Assert.AreEqual("--top-k-extras needs --top-k", Assert.ThrowsExactly<Distill.Data.DistillException>(() => CacheEncoding.Parse(null, 0, "none")).Message);
        Assert.AreEqual(CacheCompression.Zstd, CacheEncoding.TopKOf(3).ResolvedCompression);
        Assert.AreEqual(CacheCompression.None, CacheEncoding.Float16.ResolvedCompression);
        Assert.AreEqual(CacheCompression.Lz4, CacheEncoding.Parse(null, 3, compression: "lz4").ResolvedCompression);
    }

    [TestMethod]
    public void SelectHandlesTiesAndExtremeValues()
    {
        var row = new[] { 3f, 7f, 7f, -1e4f, 1e4f, 0f };
        var idx = new int[3];
        var val = new float[3];
        TopK.Select(row, idx, val, out double lse);
        CollectionAssert.AreEqual(new[] { 4, 1, 2 }, idx);
        CollectionAssert.AreEqual(new[] { 1e4f, 7f, 7f }, val);
        Assert.AreEqual(1e4, lse, 1e-3);
        Assert.IsTrue(double.IsFinite(lse));
    }
}
