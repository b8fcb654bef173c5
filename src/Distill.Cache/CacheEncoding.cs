using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// What a run is asked to store (precompute-logits' <c>--dtype</c>, <c>--top-k</c>, <c>--top-k-extras</c>,
/// <c>--compression</c>), parsed once at the edge; <see cref="CodecsFor"/> turns it into one codec per stored output.
/// <list type="bullet">
/// <item><see cref="Dtype"/> is every column's value type; <see cref="ColumnDtypes"/> overrides it per column (by column
/// or output name).</item>
/// <item><see cref="TopK"/> &gt; 0 stores every teacher's class logits (the first output of each teacher) as
/// <see cref="TopKCodec"/>, values in that column's type, with <see cref="TopKExtras"/>; the other outputs stay dense.</item>
/// <item><see cref="Compression"/>: null means zstd when top-K is stored, none otherwise.</item>
/// </list>
/// </summary>
public sealed record CacheEncoding
{
    public StoredFloat Dtype { get; init; }
    public IReadOnlyDictionary<string, StoredFloat> ColumnDtypes { get; init; } = new Dictionary<string, StoredFloat>();
    public int TopK { get; init; }
    public TopKExtras TopKExtras { get; init; } = TopKExtras.All;
    public CacheCompression? Compression { get; init; }

    public static CacheEncoding Float32 => new();
    public static CacheEncoding Float16 => new() { Dtype = StoredFloat.Float16 };
    public static CacheEncoding TopKOf(int k) => new() { TopK = k };

    public CacheCompression ResolvedCompression => Compression ?? (TopK > 0 ? CacheCompression.Zstd : CacheCompression.None);

    public static readonly IReadOnlyList<string> ExtraNames = new[] { "label", "moments" };

    /// <summary>
    /// The flags as given: each <paramref name="dtypes"/> entry is <c>TYPE</c> (every column) or <c>COLUMN=TYPE</c> (one
    /// column, by its column or output name); <paramref name="extras"/> is <c>all</c>, <c>none</c> or a comma list of
    /// <c>label</c>, <c>moments</c>. Every mistake is one line naming the flag.
    /// </summary>
    public static CacheEncoding Parse(IReadOnlyList<string>? dtypes, int topK, string? extras = null, string? compression = null)
    {
        if (topK < 0) throw new DistillException($"--top-k must be positive (or 0 for dense logits), got {topK}");
        var all = StoredFloat.Float32;
        var columns = new Dictionary<string, StoredFloat>();
        bool defaultGiven = false;
        foreach (var d in dtypes ?? Array.Empty<string>())
        {
            int eq = d.IndexOf('=');
            var type = StoredFloats.TryParse(eq < 0 ? d : d[(eq + 1)..])
                ?? throw new DistillException($"--dtype expects float32 or float16, or COLUMN=float32|float16 for one column, got '{d}'");
            if (eq < 0)
            {
                if (defaultGiven) throw new DistillException($"--dtype without a column is given twice ('{all.Name()}', '{d}')");
                (all, defaultGiven) = (type, true);
            }
            else if (eq == 0 || !columns.TryAdd(d[..eq], type))
                throw new DistillException(eq == 0 ? $"--dtype '{d}' names no column" : $"--dtype names column '{d[..eq]}' twice");
        }
        var parsedExtras = TopKExtras.All;
        if (extras is not null)
        {
            if (topK == 0) throw new DistillException("--top-k-extras needs --top-k");
            parsedExtras = extras switch
            {
                "all" => TopKExtras.All,
                "none" => TopKExtras.None,
                _ => extras.Split(',').Aggregate(TopKExtras.None, (acc, e) => acc | (e.Trim() switch
                {
                    "label" => TopKExtras.LabelLogit,
                    "moments" => TopKExtras.Moments,
                    _ => throw new DistillException($"--top-k-extras expects all, none or a comma list of {string.Join(", ", ExtraNames)}, got '{extras}'"),
                })),
            };
        }
        return new CacheEncoding
        {
            Dtype = all, ColumnDtypes = columns, TopK = topK, TopKExtras = parsedExtras,
            Compression = compression is null ? null : CacheCompressions.Parse(compression),
        };
    }

    /// <summary>
    /// One codec per output of <paramref name="outputs"/> (in order). A column named in <see cref="ColumnDtypes"/> that
    /// the cache does not store, or top-K of an output it cannot hold, is one line. Without labels no label logit is kept.
    /// </summary>
    public IReadOnlyList<ColumnCodec> CodecsFor(IReadOnlyList<CacheOutput> outputs, int classCount, bool hasLabels)
    {
        foreach (var name in ColumnDtypes.Keys)
            if (!outputs.Any(o => o.Column == name || o.Name == name))
                throw new DistillException($"--dtype names column '{name}', which this cache does not store (it stores: {string.Join(", ", outputs.Select(o => o.Column == o.Name ? o.Column : $"{o.Column} ({o.Name})"))})");
        var extras = hasLabels ? TopKExtras : TopKExtras & ~TopKExtras.LabelLogit;
        return outputs.Select((o, i) =>
        {
            var type = ColumnDtypes.TryGetValue(o.Column, out var t) || ColumnDtypes.TryGetValue(o.Name, out t) ? t : Dtype;
            bool classLogits = i == 0 || o.Name == outputs[0].Name && o.Teacher != outputs[0].Teacher;
            if (TopK > 0 && classLogits)
            {
                var codec = new TopKCodec(TopK, type, extras);
                if (codec.Problem(o, classCount) is { } why) throw new DistillException(why);
                return codec;
            }
            return type == StoredFloat.Float16 ? (ColumnCodec)Float16Codec.Instance : Float32Codec.Instance;
        }).ToList();
    }
}
