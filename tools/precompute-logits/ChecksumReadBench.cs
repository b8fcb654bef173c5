using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// What verifying the row-group checksums costs a reader: the whole cache read with verification on and off, pass
/// after pass alternately in the same process (so both see the same load), as rows per second.
/// </summary>
internal static class ChecksumReadBench
{
    // A round holds as many pass pairs as fill this much reading time, so timer resolution does not matter.
    private static readonly TimeSpan MinimumRound = TimeSpan.FromMilliseconds(600);

    /// <summary>
    /// Paired measurements (verified rows/s, unverified rows/s), one pair per round: each the median over the round's
    /// passes, so a pause that hits one pass (a collection of the previous pass's arrays, another process) does not
    /// decide a round.
    /// </summary>
    public static async Task<List<(double Verified, double Unverified)>> MeasureAsync(string cacheDir, int rounds, CancellationToken ct)
    {
        using var cache = await LogitCacheReader.OpenAsync(cacheDir, ct);
        // Both paths run long enough to be fully compiled (tiered JIT) before anything is timed, which also counts
        // how many passes fill a round.
        var warmUp = Stopwatch.StartNew();
        int passes = 0;
        double reading = 0;
        while (warmUp.Elapsed < 3 * MinimumRound || reading < MinimumRound.TotalSeconds)
        {
            reading += await PassSecondsAsync(cache, verify: true, ct) + await PassSecondsAsync(cache, verify: false, ct);
            passes++;
        }
        passes = Math.Max(3, (int)Math.Ceiling(passes * MinimumRound.TotalSeconds / reading));
        var result = new List<(double, double)>();
        for (int i = 0; i < rounds; i++)
        {
            var (verified, unverified) = (new List<double>(), new List<double>());
            for (int p = 0; p < passes; p++)
            {
                // Alternating which goes first, so a drifting load favours neither.
                bool verifiedFirst = p % 2 == 0;
                double first = await PassSecondsAsync(cache, verifiedFirst, ct), second = await PassSecondsAsync(cache, !verifiedFirst, ct);
                verified.Add(verifiedFirst ? first : second);
                unverified.Add(verifiedFirst ? second : first);
            }
            result.Add((cache.RowCount / BenchCommand.Median(verified), cache.RowCount / BenchCommand.Median(unverified)));
        }
        return result;
    }

    // One timed pass over every row group, after collecting the previous pass's arrays (untimed), so each pass starts
    // from the same heap.
    private static async Task<double> PassSecondsAsync(LogitCacheReader cache, bool verify, CancellationToken ct)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        cache.VerifyChecksums = verify;
        var watch = Stopwatch.StartNew();
        for (int g = 0; g < cache.RowGroupCount; g++) await cache.ReadRowGroupAsync(g, ct);
        return watch.Elapsed.TotalSeconds;
    }
}
