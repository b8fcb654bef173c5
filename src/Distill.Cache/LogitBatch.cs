namespace Distill.Cache;

/// <summary>
/// Rows of a cache: a row group read back, or rows about to be written. Arrays may be longer than needed; only the
/// first <see cref="Rows"/> rows count.
/// </summary>
public sealed class LogitBatch
{
    public required int Rows { get; init; }
    public required int ClassCount { get; init; }
    private readonly int _width;
    /// <summary>Floats per row of <see cref="Logits"/>: C for class logits, C·H·W for a dense map (defaults to C).</summary>
    public int Width { get => _width > 0 ? _width : ClassCount; init => _width = value; }
    /// <summary>Position of each row's sample in the dataset split.</summary>
    public required long[] Index { get; init; }
    /// <summary>True labels, or null when the dataset has none.</summary>
    public int[]? Labels { get; init; }
    /// <summary>
    /// Row-major Rows × Width values of the <c>logits</c> column, float32. For a float16 column these are the stored values
    /// widened; for a top-K column its dense reconstruction (<see cref="TopKCodec.Reconstruct"/>): stored classes keep
    /// their logits, the tail shares the remaining mass evenly, so softmax of a row is exact at T = 1 for stored classes.
    /// </summary>
    public required float[] Logits { get; init; }
    /// <summary>
    /// Per column (<c>logits</c>, then <see cref="Extra"/>'s): the rows as their encoding stores them when read from a
    /// cache and the dense view does not carry all of it (top-K: <see cref="TopKRows"/>), else null. Empty for fresh rows.
    /// </summary>
    public IReadOnlyList<EncodedRows?> Encoded { get; init; } = Array.Empty<EncodedRows?>();
    /// <summary>Augmentation view per row, or null when views are not cached.</summary>
    public int[]? Views { get; init; }
    /// <summary>Per row: the crop offsets and the horizontal flip (0/1) the view was made with (see Distill.Data.Augmentation).</summary>
    public int[]? CropX { get; init; }
    public int[]? CropY { get; init; }
    public int[]? Flip { get; init; }
    /// <summary>The other stored outputs, in <see cref="CacheMetadata.Outputs"/> order after the first (row-major, float32 as <see cref="Logits"/>).</summary>
    public IReadOnlyList<float[]> Extra { get; init; } = Array.Empty<float[]>();

    public ReadOnlySpan<float> RowLogits(int row) => Logits.AsSpan(row * Width, Width);

    /// <summary>Column <paramref name="j"/>'s dense values: 0 is <see cref="Logits"/>, j &gt; 0 is Extra[j − 1].</summary>
    public float[] Column(int j) => j == 0 ? Logits : Extra[j - 1];

    /// <summary>Column <paramref name="j"/> as stored (null for fresh rows or dense encodings).</summary>
    public EncodedRows? EncodedColumn(int j) => j < Encoded.Count ? Encoded[j] : null;

    /// <summary>Top-1 class of row <paramref name="row"/>.</summary>
    public int RowArgMax(int row) => ArgMax(RowLogits(row));

    /// <summary>Index of the largest value (the first one on ties): a row's top-1 class.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
