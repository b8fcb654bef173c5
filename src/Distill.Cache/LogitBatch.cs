namespace Distill.Cache;

/// <summary>One row group of a cache: <see cref="Rows"/> samples with their index, label and C logits each.</summary>
public sealed class LogitBatch
{
    public required int Rows { get; init; }
    public required int ClassCount { get; init; }
    /// <summary>Position of each row's sample in the dataset split.</summary>
    public required long[] Index { get; init; }
    /// <summary>True labels, or null when the dataset has none.</summary>
    public int[]? Labels { get; init; }
    /// <summary>Row-major Rows × ClassCount logits.</summary>
    public required float[] Logits { get; init; }
    /// <summary>Augmentation view per row, or null when views are not cached.</summary>
    public int[]? Views { get; init; }

    public ReadOnlySpan<float> RowLogits(int row) => Logits.AsSpan(row * ClassCount, ClassCount);
}
