namespace Distill.Cache.Tests;

/// <summary>
/// Caches written before codecs (schema version 2, SchemaV2/README.md) still read: their single <c>distill.dtype</c>
/// becomes the logits column's codec, values and extra outputs come back as written, and a run asked to resume one is
/// told the schema version differs.
/// </summary>
[TestClass]
public sealed class SchemaV2Tests
{
    private const int Rows = 40, C = 10;

    private static string Dir(string name) => Path.Combine(RepoRoot.Dir, "tests", "Distill.Cache.Tests", "SchemaV2", name);

    private static float Logit(long i, int c) => (float)(i * 0.001 + c - 0.5 * Math.Sin(i + c));

    private static async Task<(CacheMetadata, List<LogitBatch>)> Read(string name)
    {
        using var cache = LogitCacheReader.Open(Dir(name));
        var all = new List<LogitBatch>();
        await foreach (var b in cache.ReadAllAsync()) all.Add(b);
        return (cache.Metadata, all);
    }

    [TestMethod]
    public async Task Float32AndItsExtraOutput()
    {
        var (meta, batches) = await Read("float32");
        Assert.AreEqual(2, meta.SchemaVersion);
        Assert.IsInstanceOfType<Float32Codec>(meta.ColumnCodecs[0]);
        Assert.IsInstanceOfType<Float32Codec>(meta.ColumnCodecs[1]);
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows * C).Select(k => Logit(k / C, k % C)).ToArray(), batches.SelectMany(b => b.Logits).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows * 3).Select(k => k * 0.25f).ToArray(), batches.SelectMany(b => b.Extra[0]).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows).Select(i => i * 7 % C).ToArray(), batches.SelectMany(b => b.Labels!).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, C).Select(c => $"class{c}").ToArray(), meta.ClassNames!.ToArray());
    }

    [TestMethod]
    public async Task Float16()
    {
        var (meta, batches) = await Read("float16");
        Assert.IsInstanceOfType<Float16Codec>(meta.LogitsCodec);
        CollectionAssert.AreEqual(Enumerable.Range(0, Rows * C).Select(k => (float)(Half)Logit(k / C, k % C)).ToArray(), batches.SelectMany(b => b.Logits).ToArray());
    }

    [TestMethod]
    public async Task TopKWithItsDoubleLogSumExpAndNoExtras()
    {
        var (meta, batches) = await Read("topk");
        Assert.AreEqual("top-3 float32 logits + float64 log-sum-exp", meta.LogitsCodec.Describe(meta.Outputs[0]));
        foreach (var b in batches)
            for (int r = 0; r < b.Rows; r++)
            {
                var z = Enumerable.Range(0, C).Select(c => (double)Logit(b.Index[r], c)).ToArray();
                double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
                var t = (TopKRows)b.EncodedColumn(0)!;
                Assert.AreEqual(lse, t.LogSumExp[r], 1e-9, "the double log-sum-exp as written");
                var top = Enumerable.Range(0, C).OrderByDescending(c => z[c]).Take(3).ToArray();
                CollectionAssert.AreEqual(top, t.Index.Skip(r * 3).Take(3).ToArray());
                double tail = lse + Math.Log((1 - top.Sum(c => Math.Exp(z[c] - lse))) / (C - 3));
                for (int c = 0; c < C; c++) Assert.AreEqual(top.Contains(c) ? z[c] : tail, b.RowLogits(r)[c], 1e-5);
            }
    }

    [TestMethod]
    public void ResumingOneIsRefusedNamingTheSchemaVersion()
    {
        using var cache = LogitCacheReader.Open(Dir("float32"));
        var now = cache.Metadata with { SchemaVersion = CacheMetadata.CurrentSchemaVersion };
        var diffs = cache.Metadata.Differences(now);
        Assert.AreEqual("schema version: 2 (cache) vs 3 (this run)", MetadataDifference.Describe(diffs, "cache", "this run"));
    }
}
