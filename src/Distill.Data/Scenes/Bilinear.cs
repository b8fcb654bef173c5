namespace Distill.Data.Scenes;

/// <summary>
/// Bilinear resizing of one grey plane with half-pixel centres and edge clamping, as PyTorch's
/// <c>F.interpolate(mode="bilinear", align_corners=False, antialias=False)</c>, rounded half away from zero to bytes.
/// Computed in double precision so the bytes are the same on every platform.
/// </summary>
internal static class Bilinear
{
    public static byte[] Resize(ReadOnlySpan<float> source, int width, int height, int newWidth, int newHeight)
    {
        var result = new byte[newWidth * newHeight];
        double sx = (double)width / newWidth, sy = (double)height / newHeight;
        for (int y = 0; y < newHeight; y++)
        {
            var (y0, y1, wy) = Taps(y, sy, height);
            for (int x = 0; x < newWidth; x++)
            {
                var (x0, x1, wx) = Taps(x, sx, width);
                double top = source[y0 * width + x0] * (1 - wx) + source[y0 * width + x1] * wx;
                double bottom = source[y1 * width + x0] * (1 - wx) + source[y1 * width + x1] * wx;
                double v = top * (1 - wy) + bottom * wy;
                result[y * newWidth + x] = (byte)Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), 0, 255);
            }
        }
        return result;
    }

    // The two source indices around destination index i and the weight of the second.
    private static (int, int, double) Taps(int i, double scale, int size)
    {
        double s = Math.Max((i + 0.5) * scale - 0.5, 0);
        int i0 = Math.Min((int)s, size - 1);
        int i1 = Math.Min(i0 + 1, size - 1);
        return (i0, i1, s - i0);
    }
}
