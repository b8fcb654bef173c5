using SkiaSharp;

namespace Distill.Data;

/// <summary>
/// One PNG or JPEG file to raw channels-first floats (0..255) of a given size, with SkiaSharp. Chosen to match what
/// torchvision's ImageFolder + PIL give: alpha dropped (not blended), no colour management, EXIF orientation not
/// applied, grayscale by PIL's integer ITU-R 601-2 luma.
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

    /// <summary>Decodes, resizes to width × height when needed, and writes channels × height × width values.</summary>
    public static void Decode(string path, int width, int height, int channels, Span<float> destination)
    {
        using var codec = OpenCodec(path);
        // RGBA, unpremultiplied and without a colour space: the file's 8-bit values as they are (grayscale files come
        // out as R = G = B), as PIL's convert("RGB") has them.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            throw new DistillException($"cannot decode {path}: {result} (truncated or corrupt image?)");
        var rgba = decoded.GetPixelSpan();
        for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255; // drop alpha before filtering, as convert("RGB") does

        if (info.Width == width && info.Height == height)
        {
            ToPlanes(rgba, decoded.RowBytes, width, height, channels, destination);
            return;
        }
        var opaque = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var source = new SKPixmap(opaque, decoded.GetPixels(), decoded.RowBytes);
        using var scaled = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var target = scaled.PeekPixels();
        if (!source.ScalePixels(target, Sampling(info.Width, info.Height, width, height)))
            throw new DistillException($"cannot resize {path} from {info.Width}x{info.Height} to {width}x{height}");
        ToPlanes(scaled.GetPixelSpan(), scaled.RowBytes, width, height, channels, destination);
    }

    /// <summary>
    /// What SkiaSharp's former FilterQuality.High meant: Mitchell bicubic (B = C = 1/3) when enlarging, bilinear
    /// between mipmap levels when shrinking (cubic alone would alias on large reductions, mipmaps act as the
    /// antialiasing filter that torchvision's Resize applies).
    /// </summary>
    public static SKSamplingOptions Sampling(int fromWidth, int fromHeight, int toWidth, int toHeight) =>
        toWidth < fromWidth || toHeight < fromHeight
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : new SKSamplingOptions(SKCubicResampler.Mitchell);

    private static SKCodec OpenCodec(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"image file not found: {path}");
        var codec = SKCodec.Create(path, out var result);
        return codec ?? throw new DistillException($"cannot decode {path}: not a PNG or JPEG image ({result})");
    }

    private static void ToPlanes(ReadOnlySpan<byte> rgba, int rowBytes, int width, int height, int channels, Span<float> destination)
    {
        int plane = width * height;
        for (int y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * rowBytes, width * 4);
            int o = y * width;
            if (channels == 3)
                for (int x = 0; x < width; x++)
                {
                    destination[o + x] = row[4 * x];
                    destination[plane + o + x] = row[4 * x + 1];
                    destination[2 * plane + o + x] = row[4 * x + 2];
                }
            else
                for (int x = 0; x < width; x++) // PIL's L = R·299/1000 + G·587/1000 + B·114/1000, in 16-bit fixed point
                    destination[o + x] = (row[4 * x] * 19595 + row[4 * x + 1] * 38470 + row[4 * x + 2] * 7471 + 0x8000) >> 16;
        }
    }
}
