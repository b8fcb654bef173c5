using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache.Tests;

/// <summary>
/// Edits a float32 part file (index, label, logits) the way a careless or hostile user could: read and rewritten with
/// Parquet.Net directly, not through the product's writer. With <c>resign</c> the checksums are re-derived from the
/// cache format's specification (docs/cache-format.md, "Checksums") with a bit-by-bit CRC-32C, making a consistent
/// forgery that only the product's structural checks can catch.
/// </summary>
internal static class CachePartEditor
{
    public sealed class Groups
    {
        public List<long[]> Index { get; } = new();
        public List<int[]> Label { get; } = new();
        public List<float[]> Logits { get; } = new();
    }

    public static async Task EditAsync(string file, Action<Groups>? edit = null,
        Action<Dictionary<string, string>>? editMetadata = null, bool resign = false)
    {
        var groups = new Groups();
        Dictionary<string, string> kv;
        int width;
        using (var stream = File.OpenRead(file))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            kv = new Dictionary<string, string>(reader.CustomMetadata);
            var fields = reader.Schema.DataFields;
            var index = fields.Single(f => f.Name == "index");
            var label = fields.Single(f => f.Name == "label");
            var logits = fields.Single(f => f.Path.ToString().StartsWith("logits", StringComparison.Ordinal));
            width = (int)JsonNode.Parse(kv["distill.outputs"])![0]!["shape"]![0]!.GetValue<int>();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                int rows = (int)rg.RowCount;
                var i = new long[rows]; await rg.ReadRawAsync<long>(index, i, null, null);
                var l = new int[rows]; await rg.ReadRawAsync<int>(label, l, null, null);
                var z = new float[rows * width]; await rg.ReadRawAsync<float>(logits, z, new int[rows * width], new int[rows * width]);
                groups.Index.Add(i); groups.Label.Add(l); groups.Logits.Add(z);
            }
        }
        edit?.Invoke(groups);
        editMetadata?.Invoke(kv);
        if (resign) Resign(kv, groups);

        var schema = new ParquetSchema(new DataField<long>("index"), new DataField<int>("label"),
            new ListField("logits", new DataField<float>("element")));
        var item = (DataField)((ListField)schema.Fields[2]).Item;
        using var output = File.Create(file);
        await using var writer = await ParquetWriter.CreateAsync(schema, output, new ParquetOptions { CompressionMethod = CompressionMethod.None });
        writer.CustomMetadata = kv;
        for (int g = 0; g < groups.Index.Count; g++)
        {
            using var rg = writer.CreateRowGroup();
            int n = groups.Index[g].Length;
            await rg.WriteAsync<long>((DataField<long>)schema.Fields[0], groups.Index[g]);
            await rg.WriteAsync<int>((DataField<int>)schema.Fields[1], groups.Label[g]);
            var definition = Enumerable.Repeat(2, n * width).ToArray();
            var repetition = Enumerable.Range(0, n * width).Select(k => k % width == 0 ? 0 : 1).ToArray();
            await rg.WriteAllPartsAsync<float>(item, groups.Logits[g], definition, repetition, default);
        }
    }

    /// <summary>Re-derives distill.checksums and distill.metadata_crc32c as the format specifies them.</summary>
    public static void Resign(Dictionary<string, string> kv, Groups groups)
    {
        var rowGroups = new JsonArray();
        for (int g = 0; g < groups.Index.Count; g++)
            rowGroups.Add(new JsonObject
            {
                ["rows"] = groups.Index[g].Length,
                ["crc32c"] = new JsonArray(Hex(BitwiseCrc32C.OfValues(groups.Index[g])), Hex(BitwiseCrc32C.OfValues(groups.Label[g])),
                    Hex(BitwiseCrc32C.OfValues(groups.Logits[g]))),
            });
        kv["distill.checksums"] = new JsonObject
        {
            ["algorithm"] = "crc32c", ["columns"] = new JsonArray("index", "label", "logits"), ["row_groups"] = rowGroups,
        }.ToJsonString();
        kv["distill.metadata_crc32c"] = MetadataChecksum(kv);
    }

    /// <summary>The metadata checksum as specified: distill.* pairs but itself, by key, "key\0value\0" in UTF-8.</summary>
    public static string MetadataChecksum(IReadOnlyDictionary<string, string> kv)
    {
        var bytes = new List<byte>();
        foreach (var (k, v) in kv.Where(p => p.Key.StartsWith("distill.", StringComparison.Ordinal) && p.Key != "distill.metadata_crc32c")
                     .OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(k)); bytes.Add(0);
            bytes.AddRange(Encoding.UTF8.GetBytes(v)); bytes.Add(0);
        }
        return Hex(BitwiseCrc32C.Compute(bytes.ToArray()));
    }

    public static string Hex(uint crc) => crc.ToString("x8", CultureInfo.InvariantCulture);
}
