using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Where things live in a cache directory (docs/cache-format.md, "Files"):
/// <code>
/// OUT/part-NNNNN.parquet                  the cache: only ever a complete one, installed by renames
/// OUT/.distill.lock                       held by every run (exclusive: whole-cache runs; shared: shards)
/// OUT/.distill.layout.lock                held for moments while a run joins, installs or cleans a generation
/// OUT/.gen-KEY/                           a generation: one request (teacher, data, settings, limit, sharding)
///     generation.json                     the cache it replaces (<see cref="LiveStamp"/> when it was started)
///     .shard-K-of-N.lock                  held by the run computing shard K/N
///     part-NNNNN.parquet(.tmp)            finished (or growing) parts of this request
///     .part-NNNNN.work/seg-ROW.parquet    one complete row group each, for --resume
///     .promoting                          the parts being installed, present while the generation is
/// </code>
/// </summary>
public static class CacheLayout
{
    public const string LayoutLockFile = ".distill.layout.lock";
    public const string GenerationPrefix = ".gen-";
    public const string GenerationFile = "generation.json";
    public const string PromotingMarker = ".promoting";

    public static string GenerationDirectory(string dir, string key) => Path.Combine(dir, GenerationPrefix + key);
    public static string ShardLockFile(ShardSpec shard) => $".shard-{shard.K}-of-{shard.N}.lock";
    public const string ShardLockPattern = ".shard-*-of-*.lock";

    /// <summary>The shard a lock file made by <see cref="ShardLockFile"/> stands for (null for another file).</summary>
    public static ShardSpec? ShardOfLockFile(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith(".shard-", StringComparison.Ordinal) && name.EndsWith(".lock", StringComparison.Ordinal)
            ? ShardSpec.TryParse(name[".shard-".Length..^".lock".Length].Replace("-of-", "/")) : null;
    }
    public static string WorkDirectory(string generation, int part) => Path.Combine(generation, $".part-{part:00000}.work");
    public static string SegmentName(long firstRow) => $"seg-{firstRow:000000000000}.parquet";
    public const string SegmentPattern = "seg-*.parquet";

    /// <summary>The first row of a segment named by <see cref="SegmentName"/> (null for another name).</summary>
    public static long? SegmentFirstRow(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith("seg-", StringComparison.Ordinal) && name.EndsWith(".parquet", StringComparison.Ordinal)
            && long.TryParse(name["seg-".Length..^".parquet".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var row) ? row : null;
    }

    /// <summary>The complete parts of a directory of parts (the cache itself, or a generation), in name order.</summary>
    public static string[] Parts(string dir) => Directory.Exists(dir)
        ? Directory.GetFiles(dir, CacheSchema.PartPattern).Order(StringComparer.Ordinal).ToArray()
        : Array.Empty<string>();

    /// <summary>The generation folders of a cache directory.</summary>
    public static string[] Generations(string dir) => Directory.Exists(dir)
        ? Directory.GetDirectories(dir, GenerationPrefix + "*").Order(StringComparer.Ordinal).ToArray()
        : Array.Empty<string>();

    /// <summary>Every complete resume segment of runs in progress under <paramref name="dir"/>.</summary>
    public static string[] SegmentFiles(string dir) => Generations(dir)
        .SelectMany(g => Directory.GetDirectories(g, ".part-*.work"))
        .SelectMany(w => Directory.GetFiles(w, SegmentPattern)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Identifies the installed cache of <paramref name="dir"/> by its parts' names, sizes and modification times
    /// ("" when there is none): a generation is installed only over the cache it was started against.
    /// </summary>
    public static string LiveStamp(string dir)
    {
        var parts = Parts(dir);
        if (parts.Length == 0) return "";
        var text = string.Join("\n", parts.Select(p => new FileInfo(p)).Select(f =>
            string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Length} {f.LastWriteTimeUtc.Ticks}")));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>
    /// What is under way in <paramref name="dir"/> when it holds no cache yet, for a reader's message ("" when
    /// nothing is).
    /// </summary>
    public static string DescribeRunsInProgress(string dir)
    {
        var runs = Generations(dir).Select(g =>
        {
            var done = Parts(g).Select(p => Path.GetFileName(p)).ToList();
            return $"{Path.GetFileName(g)}: {(done.Count == 0 ? "no part finished yet" : string.Join(", ", done) + " finished")}";
        }).ToList();
        return string.Join("; ", runs);
    }
}
