using DuckDB.NET.Data;

namespace Distill.Cache.Tests;

/// <summary>An independent client (DuckDB) must read our Parquet: rows, the logits list and the metadata.</summary>
[TestClass]
public sealed class DuckDbReadsCacheTests
{
    [TestMethod]
    public async Task DuckDbSeesRowsListAggregatesAndMetadata()
    {
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, rows: 777, classes: 10, rowGroup: 200);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        object? Scalar(string sql) { using var cmd = db.CreateCommand(); cmd.CommandText = sql; return cmd.ExecuteScalar(); }
        string f = file.Replace("'", "''");

        Assert.AreEqual(777L, Convert.ToInt64(Scalar($"SELECT count(*) FROM read_parquet('{f}')")));
        Assert.AreEqual("FLOAT[]", Scalar($"SELECT typeof(logits) FROM read_parquet('{f}') LIMIT 1"));
        Assert.AreEqual(10L, Convert.ToInt64(Scalar($"SELECT min(len(logits)) FROM read_parquet('{f}')")));

        // A list aggregate against the same sum computed here.
        double expected = 0;
        for (int i = 0; i < 777; i++) for (int c = 0; c < 10; c++) expected += CacheFixtures.Logit(i, c);
        double got = Convert.ToDouble(Scalar($"SELECT sum(list_sum(logits)) FROM read_parquet('{f}')"));
        Assert.AreEqual(expected, got, 1e-6 * Math.Abs(expected) + 1e-3);
        // argmax of row 5 via DuckDB list functions vs ours.
        var row5 = Enumerable.Range(0, 10).Select(c => CacheFixtures.Logit(5, c)).ToArray();
        long argmax = Array.IndexOf(row5, row5.Max()) + 1; // DuckDB lists are 1-based
        Assert.AreEqual(argmax, Convert.ToInt64(Scalar($"SELECT list_position(logits, list_max(logits)) FROM read_parquet('{f}') WHERE index = 5")));

        Assert.AreEqual("10", Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'distill.class_count'"));
        Assert.AreEqual("777", Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'distill.rows'"));
        Assert.AreEqual(new string('7', 64), Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'distill.teacher.sha256'"));
        Assert.AreEqual("UNCOMPRESSED", Scalar($"SELECT DISTINCT compression FROM parquet_metadata('{f}') WHERE path_in_schema LIKE 'logits%'"));
    }
}

/// <summary>DuckDB reads the extra columns of a cache with several outputs (a dense map) and views.</summary>
[TestClass]
public sealed class DuckDbReadsExtraColumnsTests
{
    [TestMethod]
    public async Task DenseOutputAndViewColumnsAreOrdinaryParquet()
    {
        var dir = CacheFixtures.TempDir();
        const int rows = 50;
        var meta = CacheFixtures.Metadata(3, count: rows / 2) with
        {
            Outputs = new[] { new CacheOutput("logits", "logits", new[] { 3 }), new CacheOutput("seg", "seg", new[] { 3, 2, 2 }) },
            Views = 2, Augment = "flip", AugmentSeed = 5,
        };
        await using (var w = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: false, rowGroupSize: 16))
        {
            await w.WriteAsync(new LogitBatch
            {
                Rows = rows, ClassCount = 3, Index = Enumerable.Range(0, rows).Select(r => (long)(r / 2)).ToArray(),
                Labels = Enumerable.Range(0, rows).Select(r => r % 3).ToArray(),
                Logits = Enumerable.Range(0, rows * 3).Select(i => (float)i).ToArray(),
                Extra = new[] { Enumerable.Range(0, rows * 12).Select(i => i * 0.5f).ToArray() },
                Views = Enumerable.Range(0, rows).Select(r => r % 2).ToArray(),
                CropX = new int[rows], CropY = new int[rows], Flip = Enumerable.Range(0, rows).Select(r => r / 3 % 2).ToArray(),
            });
            await w.CompleteAsync();
        }
        string f = Path.Combine(dir, "part-00000.parquet").Replace("'", "''");
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        object? Scalar(string sql) { using var cmd = db.CreateCommand(); cmd.CommandText = sql; return cmd.ExecuteScalar(); }
        Assert.AreEqual("FLOAT[]", Scalar($"SELECT typeof(seg) FROM read_parquet('{f}') LIMIT 1"));
        Assert.AreEqual(12L, Convert.ToInt64(Scalar($"SELECT min(len(seg)) FROM read_parquet('{f}')")));
        // Row 7 (sample 3, view 1): its seg values are 7·12 … 7·12+11 halved.
        Assert.AreEqual(Enumerable.Range(84, 12).Sum() * 0.5, Convert.ToDouble(Scalar($"SELECT list_sum(seg) FROM read_parquet('{f}') WHERE index = 3 AND view = 1")), 1e-9);
        Assert.AreEqual(25L, Convert.ToInt64(Scalar($"SELECT count(*) FROM read_parquet('{f}') WHERE view = 0")));
        Assert.AreEqual((long)Enumerable.Range(0, rows).Count(r => r / 3 % 2 == 1), Convert.ToInt64(Scalar($"SELECT sum(aug_flip)::BIGINT FROM read_parquet('{f}')")));
        StringAssert.Contains((string)Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'distill.outputs'")!, "\"shape\":[3,2,2]");

        using var cache = LogitCacheReader.Open(dir);
        var all = new List<LogitBatch>();
        await foreach (var b in cache.ReadAllAsync()) all.Add(b);
        CollectionAssert.AreEqual(Enumerable.Range(0, rows * 12).Select(i => i * 0.5f).ToArray(), all.SelectMany(b => b.Extra[0]).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, rows).Select(r => r / 3 % 2).ToArray(), all.SelectMany(b => b.Flip!).ToArray());
    }
}
