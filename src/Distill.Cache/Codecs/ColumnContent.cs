namespace Distill.Cache;

/// <summary>
/// What a reader hands out for one cache column, measured against the teacher's own output: how many of each row's
/// <see cref="Width"/> values are stored (all of them for dense encodings, K for top-K), whether they were rounded to
/// float16, and which exact per-row extras a top-K column keeps (the label's logit; the mean and standard deviation of
/// all logits). Losses are matched against it (train-student's support table, docs/cache-format.md).
/// </summary>
public sealed record ColumnContent(string Encoding, int Width, int StoredValues, bool Rounded = false,
    bool LabelValue = false, bool Moments = false)
{
    /// <summary>Every value of the row is stored (dense, or top-K with K = C).</summary>
    public bool Complete => StoredValues >= Width;

    /// <summary>A dense float32 column: every value exact.</summary>
    public static ColumnContent Exact(int width) => new("float32", width, width);
}
