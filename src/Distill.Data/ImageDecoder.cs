using System.Buffers;
using SkiaSharp;

namespace Distill.Data;

/// <summary>
/// One PNG or JPEG file to raw channels-first floats (0..255), with SkiaSharp decoding and PIL's resampling. Chosen to
/// match what torchvision's ImageFolder + PIL give: alpha dropped (not blended), no colour management, EXIF
/// orientation not applied, Resize/CenterCrop as torchvision does them on PIL images (<see cref="ResizeAndCrop"/>,
/// <see cref="PilBilinear"/>), grayscale by PIL's integer ITU-R 601-2 luma.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>Width and height from the file's header, without decoding the pixels.</summary>
    public static (int Width, int Height) Size(string path)
    {
        using var codec = OpenCodec(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Whether the file stores one grey channel (a greyscale PNG or JPEG), from its header.</summary>
    public static bool IsGrey(string path)
    {
        using var codec = OpenCodec(path);
        return codec.Info.ColorType == SKColorType.Gray8;
    }

    /// <summary>
    /// Decodes, resizes and crops as <paramref name="geometry"/> says (whose <see cref="ResizeAndCrop.OutputSize"/>
    /// is W × H), and writes channels × H × W values.
    /// </summary>
    public static void Decode(string path, ResizeAndCrop geometry, int channels, Span<float> destination)
    {
        using var codec = OpenCodec(path);
        // RGBA, unpremultiplied and without a colour space: the file's 8-bit values as they are (grayscale files come
        // out as R = G = B), as PIL's convert("RGB") has them; the alpha byte is never read.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            throw new DistillException($"cannot decode {path}: {result} (truncated or corrupt image?)");
        var rgba = decoded.GetPixelSpan();

        var p = geometry.Place(info.Width, info.Height);
        int width = p.Width, height = p.Height;
        if (p.ResizedWidth == info.Width && p.ResizedHeight == info.Height)
        {
            ToPlanes(rgba, decoded.RowBytes, info.Width, info.Height, p.Left, p.Top, width, height, channels, destination);
            return;
        }
        // Resample only the part of the resized image that the crop keeps.
        int x0 = Math.Max(p.Left, 0), y0 = Math.Max(p.Top, 0);
        int w = Math.Min(p.Left + width, p.ResizedWidth) - x0, h = Math.Min(p.Top + height, p.ResizedHeight) - y0;
        var window = ArrayPool<byte>.Shared.Rent(w * h * 4);
        try
        {
            PilBilinear.Resize(rgba, decoded.RowBytes, info.Width, info.Height, p.ResizedWidth, p.ResizedHeight, x0, y0, w, h, window);
            ToPlanes(window, w * 4, w, h, p.Left - x0, p.Top - y0, width, height, channels, destination);
        }
        finally { ArrayPool<byte>.Shared.Return(window); }
    }

    private static SKCodec OpenCodec(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"image file not found: {path}");
        var codec = SKCodec.Create(path, out var result);
        return codec ?? throw new DistillException($"cannot decode {path}: not a PNG or JPEG image ({result})");
    }

    /// <summary>
    /// Output pixel (x, y) is source pixel (x + left, y + top) of the 4-byte-per-pixel <paramref name="rgba"/>
    /// (<paramref name="sourceWidth"/> × <paramref name="sourceHeight"/>), 0 outside it (torchvision's crop padding).
    /// </summary>
    private static void ToPlanes(ReadOnlySpan<byte> rgba, int rowBytes, int sourceWidth, int sourceHeight, int left, int top,
        int width, int height, int channels, Span<float> destination)
    {
        int plane = width * height;
        destination[..(channels * plane)].Clear();
        int xFrom = Math.Max(0, -left), xTo = Math.Min(width, sourceWidth - left);
        for (int y = Math.Max(0, -top); y < Math.Min(height, sourceHeight - top); y++)
        {
            var row = rgba.Slice((y + top) * rowBytes);
            int o = y * width;
            if (channels == 3)
                for (int x = xFrom; x < xTo; x++)
                {
                    int s = 4 * (x + left);
                    destination[o + x] = row[s];
                    destination[plane + o + x] = row[s + 1];
                    destination[2 * plane + o + x] = row[s + 2];
                }
            else
                for (int x = xFrom; x < xTo; x++) // PIL's L = R·299/1000 + G·587/1000 + B·114/1000, in 16-bit fixed point
                {
                    int s = 4 * (x + left);
                    destination[o + x] = (row[s] * 19595 + row[s + 1] * 38470 + row[s + 2] * 7471 + 0x8000) >> 16;
                }
        }
    }
}
