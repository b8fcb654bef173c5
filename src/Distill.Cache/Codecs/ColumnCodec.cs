using System.Text.Json.Nodes;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// An encoding: how one stored output (a cache column) is laid out in Parquet, written and read back. A codec owns its
/// Parquet fields (named from the output's column), their Parquet encodings, the write path (dense float32 rows in,
/// its checksummed fields out) and the read path (its fields in, checked, a dense float32 view out, plus
/// <see cref="EncodedRows"/> when that view does not carry everything stored). Its parameters are recorded per output
/// in <c>distill.outputs</c> (<c>"encoding"</c>) and parsed back once, by <see cref="CodecRegistry"/>. A new encoding is
/// one file deriving from this class plus one line in the registry; nothing else switches on its name.
/// </summary>
public abstract class ColumnCodec : IEquatable<ColumnCodec>
{
    /// <summary>The registry name, recorded as <c>"codec"</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The parameters besides the name, as recorded in the metadata.</summary>
    protected abstract JsonObject Parameters();

    /// <summary><c>{"codec": Name, ...parameters}</c>, the output's <c>"encoding"</c> entry.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["codec"] = Name };
        foreach (var (key, value) in Parameters()) o[key] = value?.DeepClone();
        return o;
    }

    /// <summary>One line for people, e.g. "float16" or "top-5 float16 logits + float32 log-sum-exp, label logit, mean/std".</summary>
    public abstract string Describe(CacheOutput output);

    /// <summary>What a reader gets for <paramref name="output"/> stored this way.</summary>
    public abstract ColumnContent Content(CacheOutput output);

    /// <summary>The Parquet fields <paramref name="output"/> is stored in, in schema order.</summary>
    public abstract IReadOnlyList<Field> Fields(CacheOutput output);

    /// <summary>
    /// Why this encoding cannot store <paramref name="output"/> of a cache with <paramref name="classCount"/> classes
    /// (null when it can): the one place each encoding's limits are checked.
    /// </summary>
    public virtual string? Problem(CacheOutput output, int classCount) => null;

    /// <summary>Parquet encodings chosen for this codec's fields (<see cref="ParquetOptions.ColumnEncodingHints"/>).</summary>
    internal abstract void AddEncodingHints(CacheOutput output, ParquetOptions options, bool compressed);

    internal abstract ColumnEncoder CreateEncoder(CacheOutput output, ParquetSchema schema, int rowGroupSize, bool hasLabels);

    /// <summary>Finds this codec's fields in a file's schema; a missing or mistyped one is one line naming <paramref name="file"/>.</summary>
    internal abstract ColumnDecoder CreateDecoder(CacheOutput output, ParquetSchema schema, bool hasLabels, int classCount, string file);

    public bool Equals(ColumnCodec? other) => other is not null && other.ToJson().ToJsonString() == ToJson().ToJsonString();
    public override bool Equals(object? obj) => Equals(obj as ColumnCodec);
    public override int GetHashCode() => ToJson().ToJsonString().GetHashCode(StringComparison.Ordinal);
    public override string ToString() => ToJson().ToJsonString();

    /// <summary>A field of <paramref name="schema"/> by name: Parquet.Net writes only through the schema's own instances.</summary>
    internal static DataField DataFieldOf(ParquetSchema schema, string column) => schema.Fields.Single(f => f.Name == column) switch
    {
        ListField list => (DataField)list.Item,
        DataField d => d,
        var f => throw new InvalidOperationException($"column {f.Name} is neither a list nor a value"),
    };
}

/// <summary>The write side of a codec for one part file: buffers a row group's rows, then writes its fields.</summary>
internal abstract class ColumnEncoder
{
    /// <summary>
    /// Buffers <paramref name="n"/> rows at row <paramref name="at"/> of the row group: their dense values (n × width),
    /// their labels (null without labels) and, when they were read from a cache, how they were stored there.
    /// </summary>
    public abstract void Add(int at, int n, ReadOnlySpan<float> values, ReadOnlySpan<int> labels, EncodedRows? stored, int storedRow);

    /// <summary>Writes the first <paramref name="rows"/> buffered rows as this codec's fields, each checksummed.</summary>
    public abstract Task FlushAsync(ColumnWriteContext w, int rows, CancellationToken ct);
}

/// <summary>The read side of a codec for one part file.</summary>
internal abstract class ColumnDecoder
{
    /// <summary>
    /// Reads one row group's fields (checksummed into the context) and returns the step that checks them and makes the
    /// dense float32 view (rows × width) plus, when the view does not carry everything stored, the stored form. The
    /// reader runs that step after the checksums matched (and the labels were checked): a corrupt value is reported as
    /// corruption first.
    /// </summary>
    public abstract Task<Func<(float[] Values, EncodedRows? Stored)>> ReadAsync(ColumnReadContext r, int rows, int[]? labels, CancellationToken ct);
}
