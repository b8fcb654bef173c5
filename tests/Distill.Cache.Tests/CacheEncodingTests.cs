namespace Distill.Cache.Tests;

/// <summary>float16 and top-k caches against the float32 logits they were made from.</summary>
[TestClass]
public sealed class CacheEncodingTests
{
    private static double[] LogSoftmax(IEnumerable<float> z)
    {
        var v = z.Select(x => (double)x).ToArray();
        double m = v.Max(), lse = m + Math.Log(v.Sum(x => Math.Exp(x - m)));
        return v.Select(x => x - lse).ToArray();
    }

    [TestMethod]
    public async Task Float16IsWithinOneThousandthRelative()
    {
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 500, 12, 128, encoding: CacheEncoding.Float16);
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual("float16", cache.Metadata.Dtype);
        double worst = 0;
        await foreach (var b in cache.ReadAllAsync())
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
    public async Task TopKWithKEqualToCReproducesTheProbabilities()
    {
        const int C = 10;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 300, C, 64, encoding: CacheEncoding.TopKOf(C));
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual(C, cache.Metadata.TopK);
        await foreach (var b in cache.ReadAllAsync())
            for (int r = 0; r < b.Rows; r++)
            {
                var expected = LogSoftmax(Enumerable.Range(0, C).Select(c => CacheFixtures.Logit(b.Index[r], c)));
                for (int j = 0; j < C; j++)
                {
                    int cls = b.TopIndex![r * C + j];
                    Assert.AreEqual(CacheFixtures.Logit(b.Index[r], cls), b.TopLogits![r * C + j], "stored logits are the float32 ones");
                    Assert.AreEqual(expected[cls], b.TopLogits[r * C + j] - b.LogSumExp![r], 1e-6, "log p exact for stored classes");
                    Assert.AreEqual(expected[cls], b.RowLogits(r)[cls], 1e-6);
                }
            }
    }

    [TestMethod]
    public async Task TopKStoresTheLargestAndSpreadsTheTail()
    {
        const int C = 50, K = 5;
        var dir = CacheFixtures.TempDir();
        await CacheFixtures.WriteAsync(dir, 200, C, 64, encoding: CacheEncoding.TopKOf(K));
        using var cache = LogitCacheReader.Open(dir);
        await foreach (var b in cache.ReadAllAsync())
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Enumerable.Range(0, C).Select(c => CacheFixtures.Logit(b.Index[r], c)).ToArray();
                var order = Enumerable.Range(0, C).OrderByDescending(c => z[c]).ThenBy(c => c).Take(K).ToArray();
                CollectionAssert.AreEqual(order, b.TopIndex!.Skip(r * K).Take(K).ToArray());
                var exact = LogSoftmax(z);
                double kept = order.Sum(c => Math.Exp(exact[c]));
                var lp = b.RowLogits(r).ToArray();
                Assert.AreEqual(1.0, lp.Sum(x => Math.Exp(x)), 1e-5, "the completed distribution sums to one");
                double tailEach = Math.Log((1 - kept) / (C - K));
                foreach (var c in Enumerable.Range(0, C).Except(order)) Assert.AreEqual(tailEach, lp[c], 1e-4);
                Assert.AreEqual(order[0], Array.IndexOf(lp, lp.Max()));
            }
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
