namespace Distill.Data.Scenes;

/// <summary>
/// The scene generator's random numbers: SplitMix64 (Steele, Lea and Flood, OOPSLA 2014), defined here bit for bit so
/// a seed gives the same scenes on every .NET version and platform (System.Random's algorithm is not a contract).
/// </summary>
internal sealed class SceneRandom
{
    private ulong _state;

    /// <summary>A stream for one canvas: independent of every other canvas, so canvases can be drawn in any order.</summary>
    public SceneRandom(long seed, int split, int index)
    {
        _state = (ulong)seed;
        _state = Mix(_state ^ Mix((ulong)split + 1));
        _state = Mix(_state ^ Mix(((ulong)(uint)index << 8) + 0x9E37));
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) (Lemire's multiply-shift; the bias for n below 2^31 is under 2^-32).</summary>
    public int Next(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
