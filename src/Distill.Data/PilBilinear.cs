using System.Buffers;

namespace Distill.Data;

/// <summary>
/// PIL's <c>Image.resize(size, Image.BILINEAR)</c> on 8-bit RGB(A) pixels, bit for bit: what torchvision's Resize does
/// to a PIL image (Pillow's libImaging/Resample.c). A separable triangle filter whose support grows with the reduction
/// factor (so downscaling averages every source pixel: the antialiasing), weights in 22-bit fixed point, a horizontal
/// pass rounded to bytes, then a vertical pass. Only a window of the output is computed (the centre crop), which gives
/// the same bytes as resizing everything and cropping, since each output pixel depends only on its own weights.
/// </summary>
public static class PilBilinear
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>The filter taps of one axis: output i reads <c>Count[i]</c> inputs from <c>First[i]</c>.</summary>
    internal sealed class Taps
    {
        public required int[] First { get; init; }
        public required int[] Count { get; init; }
        /// <summary>Fixed-point weights, <see cref="Stride"/> per output.</summary>
        public required int[] Weights { get; init; }
        public required int Stride { get; init; }
    }

    /// <summary>Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter.</summary>
    internal static Taps TapsFor(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale; // the triangle's support is 1
        int stride = (int)Math.Ceiling(support) * 2 + 1;
        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * stride];
        var w = new double[stride];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale, ss = 1.0 / filterScale, sum = 0;
            int xmin = Math.Max((int)(center - support + 0.5), 0);   // C casts truncate, as in Pillow
            int n = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < n; x++)
            {
                double t = Math.Abs((x + xmin - center + 0.5) * ss);
                w[x] = t < 1.0 ? 1.0 - t : 0.0;
                sum += w[x];
            }
            for (int x = 0; x < n; x++)
            {
                double k = sum != 0.0 ? w[x] / sum : w[x];
                weights[xx * stride + x] = k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
            }
            first[xx] = xmin;
            count[xx] = n;
        }
        return new Taps { First = first, Count = count, Weights = weights, Stride = stride };
    }

    /// <summary>
    /// Resizes <paramref name="source"/> (4 bytes per pixel, the fourth ignored) from <paramref name="width"/> ×
    /// <paramref name="height"/> to <paramref name="toWidth"/> × <paramref name="toHeight"/> and writes the window of
    /// columns [x0, x0 + w) and rows [y0, y0 + h) of the result into <paramref name="destination"/> (4 bytes per pixel,
    /// rows of w pixels; the fourth byte is left as it is).
    /// </summary>
    public static void Resize(ReadOnlySpan<byte> source, int rowBytes, int width, int height, int toWidth, int toHeight,
        int x0, int y0, int w, int h, Span<byte> destination)
    {
        if (x0 < 0 || y0 < 0 || w <= 0 || h <= 0 || x0 + w > toWidth || y0 + h > toHeight)
            throw new ArgumentOutOfRangeException(nameof(x0), $"window {x0},{y0} {w}x{h} outside {toWidth}x{toHeight}");
        bool horizontal = toWidth != width, vertical = toHeight != height;
        var vt = vertical ? TapsFor(height, toHeight) : null;
        // Source rows the window needs, all of them passed through the horizontal filter first (as Pillow does).
        int firstRow = vt is null ? y0 : vt.First[y0];
        int endRow = vt is null ? y0 + h : vt.First[y0 + h - 1] + vt.Count[y0 + h - 1];
        int rows = endRow - firstRow;

        byte[]? rented = null;
        // Rows [firstRow, endRow) of the horizontally resized image, window columns only.
        ReadOnlySpan<byte> mid = source.Slice(firstRow * rowBytes + x0 * 4);
        int midRowBytes = rowBytes;
        if (horizontal)
        {
            rented = ArrayPool<byte>.Shared.Rent(rows * w * 4);
            Horizontal(source, rowBytes, TapsFor(width, toWidth), firstRow, rows, x0, w, rented);
            mid = rented.AsSpan(0, rows * w * 4);
            midRowBytes = w * 4;
        }
        try
        {
            if (vt is not null) Vertical(mid, midRowBytes, vt, firstRow, y0, w, h, destination);
            else
                for (int y = 0; y < h; y++) mid.Slice(y * midRowBytes, w * 4).CopyTo(destination.Slice(y * w * 4));
        }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    private static void Horizontal(ReadOnlySpan<byte> source, int rowBytes, Taps t, int firstRow, int rows, int x0, int w, Span<byte> output)
    {
        const int half = 1 << (PrecisionBits - 1);
        for (int y = 0; y < rows; y++)
        {
            var row = source.Slice((firstRow + y) * rowBytes);
            var o = output.Slice(y * w * 4, w * 4);
            for (int xx = 0; xx < w; xx++)
            {
                int first = t.First[x0 + xx], n = t.Count[x0 + xx];
                var k = t.Weights.AsSpan((x0 + xx) * t.Stride, n);
                var p = row.Slice(first * 4, n * 4);
                int r = half, g = half, b = half;
                for (int x = 0; x < k.Length; x++)
                {
                    r += p[4 * x] * k[x];
                    g += p[4 * x + 1] * k[x];
                    b += p[4 * x + 2] * k[x];
                }
                o[4 * xx] = Clip(r);
                o[4 * xx + 1] = Clip(g);
                o[4 * xx + 2] = Clip(b);
            }
        }
    }

    // mid holds source rows from firstRow on; output row y0 + yy reads rows t.First[y0 + yy] .. + Count.
    private static void Vertical(ReadOnlySpan<byte> mid, int midRowBytes, Taps t, int firstRow, int y0, int w, int h, Span<byte> output)
    {
        const int half = 1 << (PrecisionBits - 1);
        for (int yy = 0; yy < h; yy++)
        {
            int first = t.First[y0 + yy] - firstRow, n = t.Count[y0 + yy];
            var k = t.Weights.AsSpan((y0 + yy) * t.Stride, n);
            var o = output.Slice(yy * w * 4, w * 4);
            for (int xx = 0; xx < w; xx++)
            {
                int r = half, g = half, b = half;
                for (int y = 0; y < k.Length; y++)
                {
                    int at = (first + y) * midRowBytes + 4 * xx;
                    r += mid[at] * k[y];
                    g += mid[at + 1] * k[y];
                    b += mid[at + 2] * k[y];
                }
                o[4 * xx] = Clip(r);
                o[4 * xx + 1] = Clip(g);
                o[4 * xx + 2] = Clip(b);
            }
        }
    }

    // Pillow's clip8: the accumulator's integer part, clamped to a byte.
    private static byte Clip(int v) => (byte)Math.Clamp(v >> PrecisionBits, 0, 255);
}
