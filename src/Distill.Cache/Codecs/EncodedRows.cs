namespace Distill.Cache;

/// <summary>
/// Rows of one column as an encoding stores them, for encodings whose dense float32 view does not carry everything
/// they store (top-K: the classes, the log-sum-exp and the per-row extras). A batch read from a cache carries them so
/// that rows written again with the same encoding (a resumed part copying its finished segments) are stored exactly
/// as they were, not re-encoded from the dense view.
/// </summary>
public abstract class EncodedRows
{
    /// <summary>The encoding (with its parameters) that stored these rows.</summary>
    public abstract ColumnCodec Codec { get; }
    public abstract int Rows { get; }
}
