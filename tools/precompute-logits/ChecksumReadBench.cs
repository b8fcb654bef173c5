using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// What verifying the row-group checksums costs a reader: reading a whole cache with verification on and off,
/// alternately in the same process, as rows per second.
/// </summary>
internal static class ChecksumReadBench
{
    // Each measurement reads the cache as often as it takes to run this long, so timer resolution does not matter.
    private static readonly TimeSpan MinimumMeasurement = TimeSpan.FromMilliseconds(300);

    /// <summary>Paired measurements (verified rows/s, unverified rows/s), one pair per round.</summary>
    public static async Task<List<(double Verified, double Unverified)>> MeasureAsync(string cacheDir, int rounds, CancellationToken ct)
    {
        using var cache = await LogitCacheReader.OpenAsync(cacheDir, ct);
        // Both paths run (and are compiled) before anything is timed.
        await ReadAllAsync(cache, verify: true, ct);
        var calibration = Stopwatch.StartNew();
        int passes = 0;
        while (calibration.Elapsed < MinimumMeasurement) { await ReadAllAsync(cache, verify: false, ct); passes++; }
        var result = new List<(double, double)>();
        for (int i = 0; i < rounds; i++)
        {
            // Alternating which goes first, so a drifting load favours neither.
            bool verifiedFirst = i % 2 == 0;
            double first = await RowsPerSecondAsync(cache, passes, verify: verifiedFirst, ct);
            double second = await RowsPerSecondAsync(cache, passes, verify: !verifiedFirst, ct);
            result.Add(verifiedFirst ? (first, second) : (second, first));
        }
        return result;
    }

    private static async Task<double> RowsPerSecondAsync(LogitCacheReader cache, int passes, bool verify, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        for (int p = 0; p < passes; p++) await ReadAllAsync(cache, verify, ct);
        return passes * cache.RowCount / watch.Elapsed.TotalSeconds;
    }

    private static async Task ReadAllAsync(LogitCacheReader cache, bool verify, CancellationToken ct)
    {
        cache.VerifyChecksums = verify;
        for (int g = 0; g < cache.RowGroupCount; g++) await cache.ReadRowGroupAsync(g, ct);
    }
}
