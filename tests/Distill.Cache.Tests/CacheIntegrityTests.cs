using System.Text.Json.Nodes;
using Distill.Data;
using DuckDB.NET.Data;

namespace Distill.Cache.Tests;

/// <summary>
/// What the reader refuses and why: values that do not match their checksums, rows out of place, edited metadata,
/// parts that do not cover the samples exactly once, and files that are not a cache directory. Files are edited with
/// Parquet.Net directly (<see cref="CachePartEditor"/>); the checksums themselves are checked against values DuckDB
/// reads and a bit-by-bit CRC-32C.
/// </summary>
[TestClass]
public sealed class CacheIntegrityTests
{
    private static async Task<(string Dir, string File)> Cache(int rows = 100, int rowGroup = 32)
    {
        var dir = CacheFixtures.TempDir();
        return (dir, await CacheFixtures.WriteAsync(dir, rows, classes: 4, rowGroup));
    }

    private static async Task ReadEverything(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        for (int g = 0; g < cache.RowGroupCount; g++) await cache.ReadRowGroupAsync(g);
    }

    [TestMethod]
    public async Task RecordedChecksumsAreTheSpecifiedCrcOfTheValuesDuckDbReads()
    {
        var (_, file) = await Cache(rows: 70, rowGroup: 32);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        string f = file.Replace("'", "''");
        var kv = new Dictionary<string, string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{f}')";
            using var r = cmd.ExecuteReader();
            while (r.Read()) kv[r.GetString(0)] = r.GetString(1);
        }
        Assert.AreEqual(CachePartEditor.MetadataChecksum(kv), kv["distill.metadata_crc32c"], "metadata checksum as specified");
        Assert.AreEqual("3", kv["distill.schema_version"]);
        Assert.AreEqual("0", kv["distill.samples.first"]);
        Assert.AreEqual("70", kv["distill.samples.end"]);
        Assert.AreEqual("0", kv["distill.limit"]);

        var recorded = JsonNode.Parse(kv["distill.checksums"])!;
        Assert.AreEqual("crc32c", recorded["algorithm"]!.GetValue<string>());
        CollectionAssert.AreEqual(new[] { "index", "label", "logits" }, recorded["columns"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray());
        // Row groups 0..2 hold rows 0-31, 32-63, 64-69; DuckDB's file_row_number tells which group a row is in.
        var groups = recorded["row_groups"]!.AsArray();
        Assert.HasCount(3, groups);
        for (int g = 0; g < 3; g++)
        {
            var index = new List<long>(); var label = new List<int>(); var logits = new List<float>();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT index, label, logits FROM read_parquet('{f}', file_row_number = true) WHERE file_row_number // 32 = {g} ORDER BY file_row_number";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                index.Add(r.GetInt64(0)); label.Add(r.GetInt32(1));
                logits.AddRange(((System.Collections.IList)r.GetValue(2)).Cast<float>());
            }
            var crc = groups[g]!["crc32c"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
            Assert.AreEqual(index.Count, groups[g]!["rows"]!.GetValue<int>());
            Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.OfValues(index)), crc[0], $"index of row group {g}");
            Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.OfValues(label)), crc[1], $"label of row group {g}");
            Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.OfValues(logits)), crc[2], $"logits of row group {g}");
        }
    }

    [TestMethod]
    public async Task TopKChecksumsAreTheSpecifiedCrcOfTheValuesDuckDbReads()
    {
        // One row group of 20 rows, top-3 float16 values: INT32 classes, the float16 values' stored bytes, FLOAT extras.
        var dir = CacheFixtures.TempDir();
        var file = await CacheFixtures.WriteAsync(dir, 20, 9, 32, encoding: CacheEncoding.TopKOf(3) with { Dtype = StoredFloat.Float16 });
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        string f = file.Replace("'", "''");
        string json;
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'distill.checksums'";
            json = (string)cmd.ExecuteScalar()!;
        }
        var recorded = JsonNode.Parse(json)!;
        var columns = recorded["columns"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        CollectionAssert.AreEqual(new[] { "index", "label", "topk_index", "topk_logits", "logsumexp", "label_logit", "logit_mean", "logit_std" }, columns);
        var crc = recorded["row_groups"]![0]!["crc32c"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        var classes = new List<int>(); var bytes = new List<byte>(); var floats = new Dictionary<string, List<float>>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT topk_index, topk_logits, logsumexp, label_logit, logit_mean, logit_std FROM '{f}' ORDER BY index";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                classes.AddRange(((System.Collections.IList)r.GetValue(0)).Cast<int>());
                using var blob = (Stream)r.GetValue(1);
                var row = new byte[6];
                blob.ReadExactly(row);
                bytes.AddRange(row);
                for (int k = 2; k < 6; k++) (floats.TryGetValue(r.GetName(k), out var l) ? l : floats[r.GetName(k)] = new List<float>()).Add(r.GetFloat(k));
            }
        }
        Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.OfValues(classes)), crc[columns.IndexOf("topk_index")]);
        Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.Compute(bytes.ToArray())), crc[columns.IndexOf("topk_logits")]);
        foreach (var name in new[] { "logsumexp", "label_logit", "logit_mean", "logit_std" })
            Assert.AreEqual(CachePartEditor.Hex(BitwiseCrc32C.OfValues(floats[name])), crc[columns.IndexOf(name)], name);
    }

    [TestMethod]
    public async Task APartFileOrASegmentIsNotACache()
    {
        var (dir, file) = await Cache();
        var e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(file));
        Assert.AreEqual($"cache {file} is a file; a cache is the directory that holds its part-*.parquet files ({dir})", e.Message);
        // A resume segment is a complete Parquet file of the same schema; as a cache it is refused the same way.
        var segment = Path.Combine(CacheFixtures.TempDir(), CacheLayout.SegmentName(0));
        File.Copy(file, segment);
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(segment)).Message, "is a file; a cache is the directory");
        // The folder of segments has no part files.
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(Path.GetDirectoryName(segment)!)).Message, "holds no part-*.parquet files");
    }

    [TestMethod]
    [DataRow("index")] [DataRow("label")] [DataRow("logits")]
    public async Task AnEditedValueIsRefusedByItsChecksumNamingFileRowGroupAndColumn(string column)
    {
        var (dir, file) = await Cache();
        await CachePartEditor.EditAsync(file, g =>
        {
            if (column == "index") g.Index[1][5] += 1;
            else if (column == "label") g.Label[1][5] = (g.Label[1][5] + 1) % 4;
            else g.Logits[1][5 * 4 + 2] += 0.5f;
        });
        using var cache = LogitCacheReader.Open(dir);   // footers and metadata are intact
        await cache.ReadRowGroupAsync(0);
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => cache.ReadRowGroupAsync(1));
        Assert.AreEqual($"{file}: row group 1, column '{column}' does not match its checksum (corrupt or edited file)", e.Message);
        cache.VerifyChecksums = false;   // what the checksum stands between: an index out of place is caught anyway
        if (column == "index") StringAssert.Contains((await Assert.ThrowsExactlyAsync<DistillException>(() => cache.ReadRowGroupAsync(1))).Message, "holds index 38 where index 37 belongs");
    }

    [TestMethod]
    public async Task ARowOutOfPlaceIsRefusedEvenWhenItsChecksumsWereForged()
    {
        var (dir, file) = await Cache();
        await CachePartEditor.EditAsync(file, g => g.Index[2][3] = g.Index[2][2], resign: true);   // row 67 claims sample 66
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => ReadEverything(dir));
        Assert.AreEqual($"{file}: row group 2 row 3 holds index 66 where index 67 belongs (a duplicate or out of order; first offending index 66)", e.Message);

        var (dir2, file2) = await Cache();
        await CachePartEditor.EditAsync(file2, g => g.Index[0][10] = 11, resign: true);   // row 10 skips to sample 11
        e = await Assert.ThrowsExactlyAsync<DistillException>(() => ReadEverything(dir2));
        Assert.AreEqual($"{file2}: row group 0 row 10 holds index 11 where index 10 belongs (a gap; first offending index 11)", e.Message);
    }

    [TestMethod]
    public async Task AnEditedMetadataIsRefused()
    {
        var (dir, file) = await Cache();
        await CachePartEditor.EditAsync(file, editMetadata: kv => kv["distill.preprocessing"] = kv["distill.preprocessing"].Replace("0.25", "0.5"));
        var e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir));
        Assert.AreEqual($"{file}: the metadata does not match its checksum (distill.metadata_crc32c): the file was edited or is corrupt", e.Message);

        // A forged but consistent claim to cover more samples than the file holds.
        var (dir2, file2) = await Cache();
        await CachePartEditor.EditAsync(file2, editMetadata: kv => { kv["distill.dataset.count"] = "120"; kv["distill.samples.end"] = "120"; }, resign: true);
        e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir2));
        Assert.AreEqual($"{file2}: holds 100 rows, but shard 1/1 of 120 samples × 1 views is 120 rows", e.Message);

        var (dir3, file3) = await Cache();
        await CachePartEditor.EditAsync(file3, editMetadata: kv => kv["distill.schema_version"] = "1");
        StringAssert.StartsWith(Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(dir3)).Message,
            $"{file3}: cache schema version 1 (made before caches recorded their row ranges and checksums); this build reads versions 2 to 3: recompute the cache with precompute-logits --overwrite");
    }

    // Shards made with different --limit: the parts' sample ranges do not tile [0, samples).
    private static async Task<string> PartsOfLimits(int firstLimit, int secondLimit)
    {
        var dir = CacheFixtures.TempDir();
        foreach (var (k, limit) in new[] { (1, firstLimit), (2, secondLimit) })
        {
            var meta = CacheFixtures.Metadata(4, count: 40) with { Shard = $"{k}/2", Limit = limit == 40 ? 0 : limit };
            await using var w = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: false, rowGroupSize: 8, part: k - 1);
            var (first, end) = meta.SampleRange;
            var index = Enumerable.Range(first, end - first).Select(i => (long)i).ToArray();
            await w.WriteAsync(index, index.Select(i => (int)(i % 4)).ToArray(), new float[index.Length * 4]);
            await w.CompleteAsync();
        }
        return dir;
    }

    [TestMethod]
    public async Task PartsOfDifferentLimitsLeaveAGapOrADuplicateAndAreRefused()
    {
        var gap = await PartsOfLimits(20, 40);   // samples 0..9 and 20..39
        var e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(gap));
        Assert.AreEqual($"cache {gap} does not hold every sample exactly once: samples 10..19 are in no part (a gap; part-00000.parquet holds samples 0..9 (shard 1/2 of 20), part-00001.parquet holds samples 20..39 (shard 2/2 of 40))", e.Message);

        var duplicate = await PartsOfLimits(40, 20);   // samples 0..19 and 10..19
        e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(duplicate));
        Assert.AreEqual($"cache {duplicate} does not hold every sample exactly once: sample 10 is in two parts (a duplicate; part-00000.parquet holds samples 0..19 (shard 1/2 of 40), part-00001.parquet holds samples 10..19 (shard 2/2 of 20))", e.Message);

        // Same limit, other teacher: the parts are of different caches, and say in what.
        var mixed = CacheFixtures.TempDir();
        foreach (var k in new[] { 1, 2 })
        {
            var meta = CacheFixtures.Metadata(4, count: 40) with { Shard = $"{k}/2", TeacherSha256 = new string(k == 1 ? '7' : '8', 64) };
            await using var w = await LogitCacheWriter.CreateAsync(mixed, meta, overwrite: false, rowGroupSize: 8, part: k - 1);
            var (first, end) = meta.SampleRange;
            var index = Enumerable.Range(first, end - first).Select(i => (long)i).ToArray();
            await w.WriteAsync(index, index.Select(i => (int)(i % 4)).ToArray(), new float[index.Length * 4]);
            await w.CompleteAsync();
        }
        e = Assert.ThrowsExactly<DistillException>(() => LogitCacheReader.Open(mixed));
        Assert.AreEqual($"cache {mixed} mixes parts of different caches: teacher: teacher.onnx (sha256 777777777777…) (part-00000.parquet) vs teacher.onnx (sha256 888888888888…) (part-00001.parquet)", e.Message);
    }

    [TestMethod]
    public async Task TheWriterAcceptsOnlyTheRowsOfItsRangeInOrder()
    {
        var dir = CacheFixtures.TempDir();
        await using var w = await LogitCacheWriter.CreateAsync(dir, CacheFixtures.Metadata(2, count: 4), overwrite: false, rowGroupSize: 8);
        var e = await Assert.ThrowsExactlyAsync<ArgumentException>(() => w.WriteAsync(new long[] { 0, 2 }, new[] { 0, 0 }, new float[4]));
        StringAssert.Contains(e.Message, "row 1 of the batch is sample 2 view 0, but the next row of the part is 1");
        await w.WriteAsync(new long[] { 0, 1 }, new[] { 0, 0 }, new float[4]);
        var short_ = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => w.CompleteAsync());
        StringAssert.Contains(short_.Message, "holds rows 0..2, expected 0..4");
    }
}
