using DuckDB.NET.Data;

namespace Distill.Cache.Tests;

/// <summary>
/// DuckDB, an independent Parquet reader, on the encodings: top-K columns and their extras, the Parquet encodings and
/// compression they are written with, and float16 columns decoded by the macros of docs/float16.sql against .NET's own
/// IEEE 754 binary16 conversion.
/// </summary>
[TestClass]
public sealed class DuckDbReadsEncodingsTests
{
    private static DuckDBConnection Db()
    {
        var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        return db;
    }

    private static List<object?[]> Rows(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read()) rows.Add(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : r.GetValue(i)).ToArray());
        return rows;
    }

    private static float[] Floats(object? list) => ((System.Collections.IEnumerable)list!).Cast<object>().Select(Convert.ToSingle).ToArray();

    [TestMethod]
    public async Task TopKColumnsAreIntegerAndFloatListsWithTheirExtras()
    {
        const int C = 30, K = 4;
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, 100, C, 32, encoding: CacheEncoding.TopKOf(K));
        using var db = Db();
        string f = file.Replace("'", "''");
        var rows = Rows(db, $"SELECT index, label, topk_index, topk_logits, logsumexp, label_logit, logit_mean, logit_std, typeof(topk_index), typeof(logsumexp) FROM '{f}' ORDER BY index");
        Assert.HasCount(100, rows);
        foreach (var row in rows)
        {
            long i = Convert.ToInt64(row[0]);
            var z = Enumerable.Range(0, C).Select(c => CacheFixtures.Logit(i, c)).ToArray();
            var order = Enumerable.Range(0, C).OrderByDescending(c => z[c]).ThenBy(c => c).Take(K).ToArray();
            CollectionAssert.AreEqual(order, ((System.Collections.IEnumerable)row[2]!).Cast<object>().Select(Convert.ToInt32).ToArray());
            CollectionAssert.AreEqual(order.Select(c => z[c]).ToArray(), Floats(row[3]));
            double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            Assert.AreEqual((float)lse, Convert.ToSingle(row[4]));
            Assert.AreEqual(z[Convert.ToInt32(row[1])], Convert.ToSingle(row[5]), "the label's logit");
            Assert.AreEqual(z.Average(v => (double)v), Convert.ToDouble(row[6]), 1e-5);
            Assert.IsTrue(Convert.ToSingle(row[7]) > 0);
            Assert.AreEqual("INTEGER[]", row[8]);
            Assert.AreEqual("FLOAT", row[9]);
        }
        // DELTA_BINARY_PACKED for the integers, BYTE_STREAM_SPLIT for compressed floats, zstd (the top-K default).
        var encodings = Rows(db, $"SELECT path_in_schema, encodings, compression FROM parquet_metadata('{f}') WHERE row_group_id = 0")
            .ToDictionary(r => (string)r[0]!, r => ((string)r[1]!, (string)r[2]!));
        StringAssert.Contains(encodings["index"].Item1, "DELTA_BINARY_PACKED");
        StringAssert.Contains(encodings["label"].Item1, "DELTA_BINARY_PACKED");
        StringAssert.Contains(encodings["topk_index, list, element"].Item1, "DELTA_BINARY_PACKED");
        StringAssert.Contains(encodings["topk_logits, list, element"].Item1, "BYTE_STREAM_SPLIT");
        StringAssert.Contains(encodings["logsumexp"].Item1, "BYTE_STREAM_SPLIT");
        Assert.IsTrue(encodings.Values.All(e => e.Item2 == "ZSTD"), string.Join(", ", encodings.Values.Select(e => e.Item2)));
    }

    [TestMethod]
    [DataRow("lz4", "LZ4_RAW")]
    [DataRow("zstd", "ZSTD")]
    public async Task CompressedDenseCachesReadTheSame(string compression, string codec)
    {
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, 120, 7, 50, encoding: CacheEncoding.Parse(null, 0, compression: compression));
        using var db = Db();
        string f = file.Replace("'", "''");
        foreach (var row in Rows(db, $"SELECT index, logits FROM '{f}'"))
            CollectionAssert.AreEqual(Enumerable.Range(0, 7).Select(c => CacheFixtures.Logit(Convert.ToInt64(row[0]), c)).ToArray(), Floats(row[1]));
        Assert.AreEqual(codec, Rows(db, $"SELECT DISTINCT compression FROM parquet_metadata('{f}')").Single()[0]);
        using var cache = LogitCacheReader.Open(dir);
        Assert.AreEqual(compression, cache.Metadata.Compression.Name());
    }

    // Values with a known binary16 form: signed zeros, the extremes of the normal range, subnormals, roundings.
    private static readonly float[] Special =
    {
        0f, -0f, 1f, -2.5f, 65504f, -65504f, 6.1035156e-05f, 5.9604645e-08f, -3.1e-6f, 1e-8f, 1f / 3, 1234.567f, 0.1f, -7.75e-3f,
    };

    [TestMethod]
    public async Task TheDocumentedMacroDecodesFloat16ColumnsToFloatLists()
    {
        int c = Special.Length;
        var dir = CacheFixtures.TempDir();
        var meta = CacheFixtures.Metadata(c, count: 6, encoding: CacheEncoding.Float16);
        await using (var w = await LogitCacheWriter.CreateAsync(dir, meta, false, 4))
        {
            var logits = Enumerable.Range(0, 6).SelectMany(i => Special.Select(v => v * (i % 2 == 0 ? 1 : -1) * (1 + i / 2))).ToArray();
            await w.WriteAsync(Enumerable.Range(0, 6).Select(i => (long)i).ToArray(), new int[6], logits.Select(v => Math.Clamp(v, -65504f, 65504f)).ToArray());
            await w.CompleteAsync();
        }
        using var db = Db();
        using (var cmd = db.CreateCommand()) { cmd.CommandText = File.ReadAllText(Path.Combine(RepoRoot.Dir, "docs", "float16.sql")); cmd.ExecuteNonQuery(); }
        string f = Path.Combine(dir, "part-00000.parquet").Replace("'", "''");
        var rows = Rows(db, $"SELECT index, distill_float16(logits), typeof(distill_float16(logits)) FROM '{f}' ORDER BY index");
        Assert.HasCount(6, rows);
        foreach (var row in rows)
        {
            int i = Convert.ToInt32(row[0]);
            var expected = Special.Select(v => Math.Clamp(v * (i % 2 == 0 ? 1 : -1) * (1 + i / 2), -65504f, 65504f)).Select(v => (float)(Half)v).ToArray();
            var got = Floats(row[1]);
            Assert.AreEqual("FLOAT[]", row[2]);
            for (int k = 0; k < c; k++)
            {
                Assert.AreEqual(expected[k], got[k], $"row {i} value {k}");
                Assert.AreEqual(float.IsNegative(expected[k]), float.IsNegative(got[k]), $"row {i} value {k}: the sign, zeros included");
            }
        }
        // The same macro reads a top-K cache's float16 logits.
        var topk = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(topk, 20, 9, 8, encoding: CacheEncoding.TopKOf(3) with { Dtype = StoredFloat.Float16 });
        foreach (var row in Rows(db, $"SELECT index, topk_index, distill_float16(topk_logits) FROM '{file.Replace("'", "''")}'"))
        {
            var classes = ((System.Collections.IEnumerable)row[1]!).Cast<object>().Select(Convert.ToInt32).ToArray();
            CollectionAssert.AreEqual(classes.Select(k => (float)(Half)CacheFixtures.Logit(Convert.ToInt64(row[0]), k)).ToArray(), Floats(row[2]));
        }
    }
}
