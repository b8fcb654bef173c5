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
