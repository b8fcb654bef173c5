using Distill.Data;
using Parquet;

namespace Distill.Cache;

/// <summary>
/// The page compression of a cache's part files (<c>--compression</c>, metadata <c>distill.compression</c>).
/// Always at an explicit level: Parquet.Net 6.1's default level for Zstd is SmallestSize (about 1 MB/s).
/// <list type="bullet">
/// <item><c>none</c>: float logits do not compress much (dense float32: ~8% with zstd), so dense caches default to it.</item>
/// <item><c>lz4</c>: LZ4_RAW (the framed "LZ4" codec of older writers is unreadable by DuckDB), level Fastest.</item>
/// <item><c>zstd</c>: Zstandard at level Fastest: removes the list levels and high bytes top-K caches are made of
/// (the default for them).</item>
/// </list>
/// </summary>
public enum CacheCompression { None, Lz4, Zstd }

public static class CacheCompressions
{
    public static readonly IReadOnlyList<string> Names = new[] { "none", "lz4", "zstd" };

    public static string Name(this CacheCompression c) => Names[(int)c];

    public static CacheCompression? TryParse(string text) => Names.ToList().IndexOf(text) is var i and >= 0 ? (CacheCompression)i : null;

    public static CacheCompression Parse(string text) =>
        TryParse(text) ?? throw new DistillException($"--compression expects {string.Join(", ", Names)}, got '{text}'");

    /// <summary>Writer options for <paramref name="c"/>: the method and an explicit level.</summary>
    internal static ParquetOptions Options(this CacheCompression c) => new()
    {
        CompressionMethod = c switch { CacheCompression.Lz4 => CompressionMethod.Lz4Raw, CacheCompression.Zstd => CompressionMethod.Zstd, _ => CompressionMethod.None },
        CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
    };
}
