using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// The CRC-32C of every column of every row group of a part file, kept in its metadata (<c>distill.checksums</c>).
/// A column's checksum covers its decoded values in a canonical byte order: each value little-endian at its own width
/// (INT64 index 8 bytes, INT32 4, FLOAT 4, DOUBLE 8), row after row, list elements in order; a float16 column's
/// row contributes its stored bytes. Checking decoded values proves exactly what matters (a reader hands out what
/// the writer was given, whatever Parquet's pages look like) and costs no second read of the file; a flipped byte
/// that changes no decoded value (page statistics, unused bits of a level run) is harmless by construction.
/// </summary>
public sealed class RowGroupChecksums
{
    public const string Algorithm = "crc32c";

    static RowGroupChecksums()
    {
        // The canonical order is little-endian, which is the in-memory order on every platform .NET runs on.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("row-group checksums assume a little-endian machine");
    }

    private readonly List<Group> _groups = new();

    /// <summary>The checksummed columns of a row group, in schema order.</summary>
    public IReadOnlyList<string> Columns { get; }
    public int Count => _groups.Count;

    public RowGroupChecksums(IReadOnlyList<string> columns) => Columns = columns;

    /// <summary>Adds the next row group: its row count and one checksum per column of <see cref="Columns"/>.</summary>
    public void Add(long rows, IReadOnlyDictionary<string, uint> crcByColumn) =>
        _groups.Add(new Group(rows, Columns.Select(c => crcByColumn[c]).ToArray()));

    public long Rows(int group) => _groups[group].Rows;

    /// <summary>
    /// Throws one line naming <paramref name="file"/>, the row group and the first column whose values do not
    /// match what was recorded.
    /// </summary>
    public void Verify(int group, IReadOnlyDictionary<string, uint> crcByColumn, string file)
    {
        var expected = _groups[group].Crc;
        for (int i = 0; i < Columns.Count; i++)
            if (!crcByColumn.TryGetValue(Columns[i], out var crc) || crc != expected[i])
                throw new DistillException($"{file}: row group {group}, column '{Columns[i]}' does not match its checksum (corrupt or edited file)");
    }

    /// <summary>The CRC-32C of the first <paramref name="count"/> values of <paramref name="values"/>.</summary>
    public static uint Of<T>(T[] values, long count) where T : unmanaged =>
        Crc32C.Compute(MemoryMarshal.AsBytes(values.AsSpan(0, checked((int)count))));

    public string ToJson() => JsonSerializer.Serialize(new Json(Algorithm, Columns.ToArray(),
        _groups.Select(g => new GroupJson(g.Rows, g.Crc.Select(c => c.ToString("x8", CultureInfo.InvariantCulture)).ToArray())).ToArray()));

    /// <summary>Parses <paramref name="json"/>; <paramref name="file"/> names the file in errors.</summary>
    public static RowGroupChecksums Parse(string json, string file)
    {
        Json? parsed;
        try { parsed = JsonSerializer.Deserialize<Json>(json); }
        catch (JsonException e) { throw Invalid(file, e.Message); }
        if (parsed is not { Columns: { Length: > 0 } columns, RowGroups: { } groups }) throw Invalid(file, "fields missing");
        if (parsed.Algorithm != Algorithm) throw Invalid(file, $"unknown algorithm '{parsed.Algorithm}'");
        var result = new RowGroupChecksums(columns);
        foreach (var g in groups)
        {
            if (g.Crc is null || g.Crc.Length != columns.Length || g.Rows < 0) throw Invalid(file, "a row group's entry is malformed");
            var crc = new uint[columns.Length];
            for (int i = 0; i < crc.Length; i++)
                if (!uint.TryParse(g.Crc[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out crc[i]) || g.Crc[i].Length != 8)
                    throw Invalid(file, $"'{g.Crc[i]}' is not 8 hex digits");
            result._groups.Add(new Group(g.Rows, crc));
        }
        return result;
    }

    private static DistillException Invalid(string file, string why) =>
        new($"{file}: metadata '{CacheMetadata.ChecksumsKey}' is invalid ({why})");

    private sealed record Group(long Rows, uint[] Crc);

    private sealed record Json(
        [property: JsonPropertyName("algorithm")] string Algorithm,
        [property: JsonPropertyName("columns")] string[] Columns,
        [property: JsonPropertyName("row_groups")] GroupJson[] RowGroups);

    private sealed record GroupJson(
        [property: JsonPropertyName("rows")] long Rows,
        [property: JsonPropertyName("crc32c")] string[] Crc);
}
