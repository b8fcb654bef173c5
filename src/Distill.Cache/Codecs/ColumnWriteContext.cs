using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// One row group being written: the Parquet.Net row-group writer, the file's schema, and the CRC-32C of every column
/// written so far (<see cref="RowGroupChecksums"/>: values little-endian at their own width, rows in order).
/// <paramref name="levels"/> caches the list levels per width across the file's row groups.
/// </summary>
internal sealed class ColumnWriteContext(ParquetRowGroupWriter rowGroup, ParquetSchema schema, int rowGroupSize,
    Dictionary<int, (int[] Definition, int[] Repetition)> levels)
{

    public Dictionary<string, uint> Crc { get; } = new();

    public async Task WriteScalarsAsync<T>(string column, T[] values, int rows, CancellationToken ct) where T : unmanaged
    {
        Crc[column] = RowGroupChecksums.Of(values, rows);
        await rowGroup.WriteAsync<T>(ColumnCodec.DataFieldOf(schema, column), values.AsMemory(0, rows), null, null, ct);
    }

    /// <summary>A standard 3-level list, every row exactly <paramref name="width"/> values: all defined (level 2), repetition 0 starts a row.</summary>
    public async Task WriteListsAsync<T>(string column, T[] values, int rows, int width, CancellationToken ct) where T : unmanaged
    {
        int count = rows * width;
        if (!levels.TryGetValue(width, out var l))
        {
            int max = rowGroupSize * width;
            l = (new int[max], new int[max]);
            Array.Fill(l.Definition, 2);
            for (int i = 0; i < max; i += width) l.Repetition.AsSpan(i + 1, width - 1).Fill(1);
            levels[width] = l;
        }
        Crc[column] = RowGroupChecksums.Of(values, count);
        await rowGroup.WriteAllPartsAsync<T>(ColumnCodec.DataFieldOf(schema, column), values.AsMemory(0, count),
            l.Definition.AsMemory(0, count), l.Repetition.AsMemory(0, count), ct);
    }

    /// <summary>
    /// A BYTE_ARRAY column of exactly <paramref name="rowBytes"/> bytes per row, from rows packed end to end in
    /// <paramref name="packed"/>; <paramref name="rowArrays"/> are reused row buffers (Parquet.Net takes one array per value).
    /// </summary>
    public async Task WriteBytesAsync(string column, byte[] packed, byte[][] rowArrays, int rows, int rowBytes)
    {
        for (int r = 0; r < rows; r++) packed.AsSpan(r * rowBytes, rowBytes).CopyTo(rowArrays[r]);
        Crc[column] = RowGroupChecksums.Of(packed, (long)rows * rowBytes);
        await rowGroup.WriteAsync(ColumnCodec.DataFieldOf(schema, column),
            rows == rowArrays.Length ? rowArrays : rowArrays[..rows], null);
    }
}
