using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// How logits are stored (metadata <c>distill.dtype</c>):
/// <list type="bullet">
/// <item><c>float32</c>: <c>logits</c> LIST&lt;FLOAT&gt;, C values per row.</item>
/// <item><c>float16</c>: <c>logits</c> BYTE_ARRAY of exactly 2·C bytes per row, IEEE 754 binary16 little-endian in class
/// order (Parquet.Net cannot write a half-float type). Readers widen to float32.</item>
/// <item><c>topk</c>: <c>topk_index</c> LIST&lt;INT32&gt; and <c>topk_logits</c> LIST&lt;FLOAT&gt; (the K largest logits, descending,
/// ties by class), and <c>logsumexp</c> DOUBLE over all C logits, so log p_c = z_c − logsumexp is exact for stored
/// classes and the tail mass 1 − Σ p is known.</item>
/// </list>
/// </summary>
public sealed record CacheEncoding(string Dtype, int TopK)
{
    public static CacheEncoding Float32 { get; } = new("float32", 0);
    public static CacheEncoding Float16 { get; } = new("float16", 0);
    public static CacheEncoding TopKOf(int k) => new("topk", k);

    public bool IsTopK => Dtype == "topk";

    public static CacheEncoding Parse(string dtype, int topK)
    {
        if (topK < 0) throw new DistillException($"--top-k must be positive, got {topK}");
        if (topK > 0)
        {
            if (dtype != "float32") throw new DistillException("--top-k stores float32 logits; it cannot be combined with --dtype " + dtype);
            return TopKOf(topK);
        }
        return dtype switch
        {
            "float32" => Float32,
            "float16" => Float16,
            _ => throw new DistillException($"--dtype expects float32 or float16, got '{dtype}'"),
        };
    }
}
