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
    /// Row-major Rows × Width values. For a top-k cache these are log-probabilities: exact for the stored classes,
    /// and the tail mass spread evenly over the other classes (the FKD/ReLabel convention); softmax of a row gives
    /// that distribution back.
    /// </summary>
    public required float[] Logits { get; init; }
    /// <summary>K for a top-k cache, else 0.</summary>
    public int TopK { get; init; }
    /// <summary>Rows × K stored class indices (descending logit), top-k caches only.</summary>
    public int[]? TopIndex { get; init; }
    /// <summary>Rows × K stored logits, top-k caches only.</summary>
    public float[]? TopLogits { get; init; }
    /// <summary>Log-sum-exp of each row's full logit vector, top-k caches only.</summary>
    public double[]? LogSumExp { get; init; }
    /// <summary>Augmentation view per row, or null when views are not cached.</summary>
    public int[]? Views { get; init; }
    /// <summary>Per row: the crop offsets and the horizontal flip (0/1) the view was made with (see Distill.Data.Augmentation).</summary>
    public int[]? CropX { get; init; }
    public int[]? CropY { get; init; }
    public int[]? Flip { get; init; }
    /// <summary>The other stored outputs, in <see cref="CacheMetadata.Outputs"/> order after the first (row-major, float32).</summary>
    public IReadOnlyList<float[]> Extra { get; init; } = Array.Empty<float[]>();

    public ReadOnlySpan<float> RowLogits(int row) => Logits.AsSpan(row * Width, Width);

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
