using System.Globalization;

namespace Distill.Data;

/// <summary>The parameters one augmented view was made with: crop offsets into the padded image and a horizontal flip.</summary>
public readonly record struct ViewParams(int CropX, int CropY, bool Flip);

/// <summary>
/// Deterministic augmentation for cached views, shared by both stages so the student replays exactly the view the
/// teacher saw: <c>crop:P</c> is torchvision's RandomCrop(size, padding=P) (zero padding, offsets uniform in [0, 2P]),
/// <c>flip</c> is RandomHorizontalFlip(0.5) applied after the crop. The parameters of view v of sample i depend only on
/// (seed, i, v) and are also stored in the cache rows.
/// </summary>
public sealed record Augmentation(int CropPadding, bool Flip)
{
    public static Augmentation None { get; } = new(0, false);
    public bool IsNone => CropPadding == 0 && !Flip;

    public override string ToString() =>
        string.Join(",", new[] { CropPadding > 0 ? $"crop:{CropPadding}" : null, Flip ? "flip" : null }.Where(x => x != null));

    /// <summary>Parses "crop:P,flip" (either part optional; "" or "none" for no augmentation).</summary>
    public static Augmentation Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec == "none") return None;
        int pad = 0; bool flip = false;
        foreach (var raw in spec.Split(','))
        {
            var part = raw.Trim();
            if (part == "flip") flip = true;
            else if (part.StartsWith("crop:", StringComparison.Ordinal)
                     && int.TryParse(part[5..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 64)
                pad = p;
            else throw new DistillException($"--augment: '{part}' is not crop:P (1 ≤ P ≤ 64) or flip");
        }
        return new Augmentation(pad, flip);
    }

    /// <summary>Parameters of view <paramref name="view"/> of sample <paramref name="index"/>.</summary>
    public ViewParams ParamsFor(int seed, long index, int view)
    {
        ulong h = Mix((ulong)(uint)seed ^ Mix((ulong)index * 0x9E3779B97F4A7C15UL ^ Mix((ulong)(uint)view + 0x632BE59BD9B4E019UL)));
        int span = 2 * CropPadding + 1;
        int x = CropPadding > 0 ? (int)((h & 0xFFFF) % (ulong)span) : 0;
        int y = CropPadding > 0 ? (int)(((h >> 16) & 0xFFFF) % (ulong)span) : 0;
        return new ViewParams(x, y, Flip && ((h >> 40) & 1) == 1);
    }

    // SplitMix64's finalizer: a good 64-bit mix, identical on every platform.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Writes the view of <paramref name="source"/> (one sample, [C, H, W]) into <paramref name="destination"/>:
    /// pixels from outside the image take <paramref name="fill"/> of their channel (0 for raw pixels; the
    /// preprocessed value of 0 when applied after preprocessing, which commutes with these per-channel affine maps).
    /// </summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int[] shape, ViewParams p, ReadOnlySpan<float> fill)
    {
        if (shape.Length != 3) throw new DistillException($"--augment needs image samples [C,H,W], not [{string.Join(",", shape)}]");
        int c = shape[0], h = shape[1], w = shape[2];
        int dy = p.CropY - CropPadding, dx = p.CropX - CropPadding;
        for (int ch = 0; ch < c; ch++)
        {
            float f = fill.Length == 1 ? fill[0] : fill[ch];
            var src = source.Slice(ch * h * w, h * w);
            var dst = destination.Slice(ch * h * w, h * w);
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy;
                var row = dst.Slice(y * w, w);
                if ((uint)sy >= (uint)h) { row.Fill(f); continue; }
                for (int x = 0; x < w; x++)
                {
                    int sx = (p.Flip ? w - 1 - x : x) + dx;
                    row[x] = (uint)sx < (uint)w ? src[sy * w + sx] : f;
                }
            }
        }
    }
}
