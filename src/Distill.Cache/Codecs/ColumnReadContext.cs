using System.Buffers;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// One row group being read: the Parquet.Net row-group reader, the CRC-32C of every column read (null when checksums
/// are not verified) and where it is, for one-line errors.
/// </summary>
internal sealed class ColumnReadContext(ParquetRowGroupReader rowGroup, Dictionary<string, uint>? crc, string file, int group)
{
    public string File => file;
    public int Group => group;

    /// <summary>"FILE: row group G WHAT", the reader's message for corrupt contents.</summary>
    public DistillException Corrupt(string what) => new($"{file}: row group {group} {what}");

    public async Task ReadScalarsAsync<T>(DataField field, T[] values, CancellationToken ct) where T : unmanaged
    {
        await rowGroup.ReadRawAsync<T>(field, values, null, null, ct);
        if (crc != null) crc[field.Name] = RowGroupChecksums.Of(values, values.Length);
    }

    /// <summary>
    /// A list column whose every row holds exactly <paramref name="width"/> values: one contiguous row-major block.
    /// <paramref name="item"/> is the list's element, <paramref name="column"/> the list's name (its checksum's key).
    /// </summary>
    public async Task ReadFullListsAsync<T>(DataField item, string column, T[] values, int width, CancellationToken ct) where T : unmanaged
    {
        // The levels are only checked, then dropped: pooled, they cost no fresh memory per row group.
        int n = values.Length;
        var levels = ArrayPool<int>.Shared.Rent(n);
        var repetitions = ArrayPool<int>.Shared.Rent(n);
        try
        {
            await rowGroup.ReadRawAsync<T>(item, values, levels.AsMemory(0, n), repetitions.AsMemory(0, n), ct);
            for (int i = 0; i < n; i++)
                if (levels[i] != 2 || repetitions[i] != (i % width == 0 ? 0 : 1))
                    throw Corrupt($"does not hold {width} values in every row of '{column}'");
        }
        finally
        {
            ArrayPool<int>.Shared.Return(levels);
            ArrayPool<int>.Shared.Return(repetitions);
        }
        if (crc != null) crc[column] = RowGroupChecksums.Of(values, values.Length);
    }

    /// <summary>A BYTE_ARRAY column of exactly <paramref name="rowBytes"/> bytes per row, packed end to end (as checksummed).</summary>
    public async Task<byte[]> ReadFixedBytesAsync(DataField field, int rows, int rowBytes, string what, CancellationToken ct)
    {
        var arrays = new byte[rows][];
        await rowGroup.ReadAsync(field, arrays, null, ct);
        var packed = new byte[(long)rows * rowBytes];
        for (int r = 0; r < rows; r++)
        {
            if (arrays[r] is not { } b || b.Length != rowBytes) throw Corrupt($"row {r} does not hold {what} in '{field.Name}'");
            b.CopyTo(packed, (long)r * rowBytes);
        }
        if (crc != null) crc[field.Name] = RowGroupChecksums.Of(packed, packed.Length);
        return packed;
    }

    /// <summary>Refuses a NaN or infinity, naming the sample, the column and the position in the row.</summary>
    public void CheckFinite(ReadOnlySpan<float> values, int width, string column, long[] index)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw Corrupt($"holds {(float.IsNaN(values[i]) ? "NaN" : "infinite")} {(column == CacheSchema.LogitsColumn ? "logits" : $"'{column}' values")} for sample {index[i / width]} ({(column == CacheSchema.LogitsColumn ? "class" : "value")} {i % width})");
    }

    /// <summary>Schema lookups for a decoder: a required scalar or list field of one CLR type, else one line.</summary>
    public static DataField Scalar(ParquetSchema schema, string name, Type type, string what, string file) =>
        schema.Fields.FirstOrDefault(f => f.Name == name) is DataField d && d.ClrType == type && !d.IsArray ? d
            : throw new DistillException($"{file}: wrong schema (no {what} column '{name}')");

    public static DataField List(ParquetSchema schema, string name, Type type, string what, string file) =>
        schema.Fields.FirstOrDefault(f => f.Name == name) is ListField { Item: DataField item } && item.ClrType == type ? item
            : throw new DistillException($"{file}: wrong schema (no {what} column '{name}')");

    public static DataField Bytes(ParquetSchema schema, string name, string file) =>
        schema.Fields.FirstOrDefault(f => f.Name == name) is DataField d && !d.IsArray
            && (d.ClrType == typeof(byte[]) || d.ClrType == typeof(ReadOnlyMemory<byte>)) ? d
            : throw new DistillException($"{file}: wrong schema (no BYTE_ARRAY column '{name}')");
}
