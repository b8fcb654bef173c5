namespace Distill.Data;

/// <summary>
/// Class masks to another resolution by nearest neighbour with half-pixel centres: target pixel i takes source pixel
/// floor((i + 0.5) · H / h) (PyTorch's <c>interpolate(mode="nearest-exact")</c>; from 64 to 16 the pixel 4i + 2, the
/// centre of each 4×4 block rather than its corner). Label losses and metrics compare a head's output with masks
/// resized this way.
/// </summary>
public static class MaskResize
{
    /// <summary>Source index of target index <paramref name="i"/> when <paramref name="from"/> values become <paramref name="to"/>.</summary>
    public static int SourceIndex(int i, int from, int to) => (int)Math.Min(from - 1, ((2L * i + 1) * from) / (2L * to));

    /// <summary>Resizes <paramref name="count"/> masks of height × width into newHeight × newWidth each.</summary>
    public static void Nearest(ReadOnlySpan<byte> source, int count, int height, int width, Span<byte> destination, int newHeight, int newWidth)
    {
        if (source.Length < count * height * width || destination.Length < count * newHeight * newWidth)
            throw new ArgumentException($"{count} masks need {count * height * width} source and {count * newHeight * newWidth} destination values");
        Span<int> xs = stackalloc int[newWidth];
        for (int x = 0; x < newWidth; x++) xs[x] = SourceIndex(x, width, newWidth);
        for (int n = 0; n < count; n++)
        {
            var from = source.Slice(n * height * width, height * width);
            var to = destination.Slice(n * newHeight * newWidth, newHeight * newWidth);
            for (int y = 0; y < newHeight; y++)
            {
                var row = from.Slice(SourceIndex(y, height, newHeight) * width, width);
                for (int x = 0; x < newWidth; x++) to[y * newWidth + x] = row[xs[x]];
            }
        }
    }
}
