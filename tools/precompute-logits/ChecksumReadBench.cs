using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// What verifying the row-group checksums costs a reader: the whole cache read with verification on and off, pass
/// after pass alternately in the same process (so both see the same load), as rows per second.
/// </summary>
internal static class ChecksumReadBench
{
    // A round reads the cache as often as it takes to run this long, so timer resolution does not matter.
    private static readonly TimeSpan MinimumRound = TimeSpan.FromMilliseconds(600);

    /// <summary>Paired measurements (verified rows/s, unverified rows/s), one pair per round.</summary>
    public static async Task<List<(double Verified, double Unverified)>> MeasureAsync(string cacheDir, int rounds, CancellationToken ct)
    {
        using var cache = await LogitCacheReader.OpenAsync(cacheDir, ct);
        // Both paths run long enough to be fully compiled (tiered JIT) before anything is timed, which also counts
        // how many passes fill a round.
        var warmUp = Stopwatch.StartNew();
        int passes = 0;
        while (warmUp.Elapsed < MinimumRound)
        {
            await PassSecondsAsync(cache, verify: true, ct);
            await PassSecondsAsync(cache, verify: false, ct);
            passes++;
        }
        var result = new List<(double, double)>();
        for (int i = 0; i < rounds; i++)
        {
            double verified = 0, unverified = 0;
            for (int p = 0; p < passes; p++)
            {
                // Alternating which goes first, so a drifting load favours neither.
                bool verifiedFirst = p % 2 == 0;
                double first = await PassSecondsAsync(cache, verifiedFirst, ct), second = await PassSecondsAsync(cache, !verifiedFirst, ct);
                verified += verifiedFirst ? first : second;
                unverified += verifiedFirst ? second : first;
            }
            result.Add((passes * cache.RowCount / verified, passes * cache.RowCount / unverified));
        }
        return result;
    }

    private static async Task<double> PassSecondsAsync(LogitCacheReader cache, bool verify, CancellationToken ct)
    {
        cache.VerifyChecksums = verify;
        var watch = Stopwatch.StartNew();
        for (int g = 0; g < cache.RowGroupCount; g++) await cache.ReadRowGroupAsync(g, ct);
        return watch.Elapsed.TotalSeconds;
    }
}
