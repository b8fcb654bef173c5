using System.Globalization;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// <c>--shard k/n</c>: the k-th of n contiguous slices of a split (1-based), so n machines (a Kubernetes Indexed Job,
/// a Slurm array) fill one cache, each writing its own part file <c>part-{k-1}</c>. A shard may be empty (more
/// shards than samples); its part is then complete with no rows.
/// </summary>
public sealed record ShardSpec(int K, int N)
{
    public static ShardSpec Whole { get; } = new(1, 1);

    public static ShardSpec Parse(string text) =>
        TryParse(text) ?? throw new DistillException($"--shard expects k/n with 1 ≤ k ≤ n ≤ {MaxShards} (e.g. 2/3), got '{text}'");

    /// <summary>The most shards a cache can have (part files are named part-00000 … part-99999).</summary>
    public const int MaxShards = 100_000;

    public static ShardSpec? TryParse(string text)
    {
        var p = text.Split('/');
        return p.Length == 2 && int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= MaxShards && k >= 1 && k <= n
            ? new ShardSpec(k, n) : null;
    }

    /// <summary>Rows [Start, End) of a split of <paramref name="total"/> rows that this shard covers.</summary>
    public (int Start, int End) Range(int total) => ((int)((long)(K - 1) * total / N), (int)((long)K * total / N));

    public int PartIndex => K - 1;
    public override string ToString() => $"{K}/{N}";
}
