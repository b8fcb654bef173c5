using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// <c>float32</c>: every value as it came from the teacher, a standard 3-level <c>LIST&lt;FLOAT&gt;</c> named after the
/// column (element <c>element</c>), Width values per row; DuckDB reads it as <c>FLOAT[]</c>. With page compression the
/// values are BYTE_STREAM_SPLIT (exponent bytes together compress; without compression it changes nothing).
/// </summary>
public sealed class Float32Codec : ColumnCodec
{
    public static Float32Codec Instance { get; } = new();

    public override string Name => "float32";
    protected override JsonObject Parameters() => new();
    public static Float32Codec FromParameters(JsonObject _) => Instance;

    public override string Describe(CacheOutput output) => "float32";
    public override ColumnContent Content(CacheOutput output) => ColumnContent.Exact(output.Width);
    public override IReadOnlyList<Field> Fields(CacheOutput output) => new Field[] { CacheSchema.FloatList(output.Column) };

    internal override void AddEncodingHints(CacheOutput output, ParquetOptions options, bool compressed)
    {
        if (compressed) options.ColumnEncodingHints[CacheSchema.FloatList(output.Column).Item.Path.ToString()] = EncodingHint.ByteSplitStream;
    }

    internal override ColumnEncoder CreateEncoder(CacheOutput output, ParquetSchema schema, int rowGroupSize, bool hasLabels) =>
        new Encoder(output, rowGroupSize);

    internal override ColumnDecoder CreateDecoder(CacheOutput output, ParquetSchema schema, bool hasLabels, int classCount, string file) =>
        new Decoder(output, ColumnReadContext.List(schema, output.Column, typeof(float), "LIST<FLOAT>", file));

    private sealed class Encoder(CacheOutput output, int rowGroupSize) : ColumnEncoder
    {
        private readonly float[] _values = new float[(long)rowGroupSize * output.Width];

        public override void Add(int at, int n, ReadOnlySpan<float> values, ReadOnlySpan<int> labels, EncodedRows? stored, int storedRow) =>
            values[..(n * output.Width)].CopyTo(_values.AsSpan(at * output.Width));

        public override Task FlushAsync(ColumnWriteContext w, int rows, CancellationToken ct) =>
            w.WriteListsAsync(output.Column, _values, rows, output.Width, ct);
    }

    private sealed class Decoder(CacheOutput output, DataField item) : ColumnDecoder
    {
        public override async Task<Func<(float[] Values, EncodedRows? Stored)>> ReadAsync(ColumnReadContext r, int rows, int[]? labels, CancellationToken ct)
        {
            var values = new float[(long)rows * output.Width];
            await r.ReadFullListsAsync(item, output.Column, values, output.Width, ct);
            return () => (values, null);
        }
    }
}
