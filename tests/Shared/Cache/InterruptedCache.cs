using Distill.Cache;

namespace Distill.Tests.Shared;

/// <summary>What an interrupted precompute-logits run left on disk (linked by the test projects that reference Distill.Cache).</summary>
internal static class InterruptedCache
{
    /// <summary>Complete (renamed) resume segments of the runs in progress in <paramref name="cacheDir"/>.</summary>
    public static string[] Segments(string cacheDir) => CacheLayout.SegmentFiles(cacheDir);

    /// <summary>
    /// Rows in those segments, each opened and read whole (a file with its final name is complete): what a resume
    /// must keep, so it computes only the rest.
    /// </summary>
    public static long SegmentRows(string cacheDir)
    {
        long rows = 0;
        foreach (var seg in Segments(cacheDir))
            using (var r = LogitCacheReader.OpenSegmentAsync(seg).GetAwaiter().GetResult())
            {
                for (int g = 0; g < r.RowGroupCount; g++) r.ReadRowGroupAsync(g).GetAwaiter().GetResult();
                rows += r.RowCount;
            }
        return rows;
    }
}
