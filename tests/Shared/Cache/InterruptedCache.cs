using Distill.Cache;

namespace Distill.Tests.Shared;

/// <summary>What an interrupted precompute-logits run left on disk (linked by the test projects that reference Distill.Cache).</summary>
internal static class InterruptedCache
{
    /// <summary>Complete (renamed) segments in part <paramref name="part"/>'s work folder.</summary>
    public static string[] Segments(string cacheDir, int part = 0)
    {
        var work = CachePartWriter.WorkDirectoryFor(cacheDir, part);
        return Directory.Exists(work) ? Directory.GetFiles(work, "seg-*.parquet") : Array.Empty<string>();
    }

    /// <summary>
    /// Rows in those segments, each opened and read as a cache (a file with its final name is complete): what a resume
    /// must keep, so it computes only the rest.
    /// </summary>
    public static long SegmentRows(string cacheDir, int part = 0)
    {
        long rows = 0;
        foreach (var seg in Segments(cacheDir, part))
            using (var r = LogitCacheReader.Open(seg)) rows += r.RowCount;
        return rows;
    }
}
