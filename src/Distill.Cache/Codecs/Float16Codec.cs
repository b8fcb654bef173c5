using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// <c>float16</c>: each value rounded to IEEE 754 binary16 (relative error ≤ 2⁻¹¹, range ±65,504), a BYTE_ARRAY of
/// exactly 2 · Width bytes per row, little-endian, row-major. Parquet's FLOAT16 logical type would let other tools read
/// floats directly, but Parquet.Net 6.1 cannot write it (no <see cref="Half"/> fields, no FIXED_LEN_BYTE_ARRAY
/// columns but decimals, intervals and UUIDs), so DuckDB decodes the column with the macro in docs/float16.sql and
/// numpy with <c>np.frombuffer(row, '&lt;f2')</c>. A value outside float16's range is refused when written (it would
/// read back as infinity).
/// </summary>
public sealed class Float16Codec : ColumnCodec
{
    public static Float16Codec Instance { get; } = new();

    public override string Name => "float16";
    protected override JsonObject Parameters() => new();
    public static Float16Codec FromParameters(JsonObject _) => Instance;

    public override string Describe(CacheOutput output) => "float16";
    public override ColumnContent Content(CacheOutput output) => new("float16", output.Width, output.Width, Rounded: true);
    public override IReadOnlyList<Field> Fields(CacheOutput output) => new Field[] { new DataField<byte[]>(output.Column) };

    internal override void AddEncodingHints(CacheOutput output, ParquetOptions options, bool compressed) { }   // PLAIN is the only one for bytes

    internal override ColumnEncoder CreateEncoder(CacheOutput output, ParquetSchema schema, int rowGroupSize, bool hasLabels) =>
        new Encoder(output, rowGroupSize);

    internal override ColumnDecoder CreateDecoder(CacheOutput output, ParquetSchema schema, bool hasLabels, int classCount, string file) =>
        new Decoder(output, ColumnReadContext.Bytes(schema, output.Column, file));

    /// <summary>Rounds <paramref name="values"/> to binary16 into <paramref name="bytes"/>; a value beyond ±65,504 is one line naming <paramref name="column"/>.</summary>
    internal static void Encode(ReadOnlySpan<float> values, Span<byte> bytes, string column)
    {
        for (int i = 0; i < values.Length; i++)
        {
            var h = (Half)values[i];
            if (Half.IsInfinity(h) && float.IsFinite(values[i]))
                throw new DistillException($"column '{column}': value {values[i]} exceeds float16's range (±65,504); store this column as float32 (--dtype {column}=float32)");
            BinaryPrimitives.WriteHalfLittleEndian(bytes.Slice(2 * i, 2), h);
        }
    }

    /// <summary>Widens little-endian binary16 <paramref name="bytes"/> into <paramref name="values"/>.</summary>
    internal static void Decode(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        // Little-endian, as on every machine .NET runs on (RowGroupChecksums relies on it too).
        var halves = MemoryMarshal.Cast<byte, Half>(bytes);
        for (int i = 0; i < halves.Length; i++) values[i] = (float)halves[i];
    }

    private sealed class Encoder(CacheOutput output, int rowGroupSize) : ColumnEncoder
    {
        private readonly byte[] _packed = new byte[(long)rowGroupSize * 2 * output.Width];
        private readonly byte[][] _rows = Enumerable.Range(0, rowGroupSize).Select(_ => new byte[2 * output.Width]).ToArray();

        public override void Add(int at, int n, ReadOnlySpan<float> values, ReadOnlySpan<int> labels, EncodedRows? stored, int storedRow) =>
            Encode(values[..(n * output.Width)], _packed.AsSpan(at * 2 * output.Width), output.Column);

        public override Task FlushAsync(ColumnWriteContext w, int rows, CancellationToken ct) =>
            w.WriteBytesAsync(output.Column, _packed, _rows, rows, 2 * output.Width);
    }

    private sealed class Decoder(CacheOutput output, DataField field) : ColumnDecoder
    {
        public override async Task<Func<(float[] Values, EncodedRows? Stored)>> ReadAsync(ColumnReadContext r, int rows, int[]? labels, CancellationToken ct)
        {
            var packed = await r.ReadFixedBytesAsync(field, rows, 2 * output.Width, $"{output.Width} float16 values", ct);
            return () =>
            {
                var values = new float[(long)rows * output.Width];
                Decode(packed, values);
                return (values, null);
            };
        }
    }
}
