using SkiaSharp;

namespace Distill.Data.Scenes;

/// <summary>8-bit greyscale PNG files (pixels or class indices), encoded by SkiaSharp with fixed filter and zlib
/// settings, so the same bytes give the same file.</summary>
internal static class GrayPng
{
    public static void Write(string path, ReadOnlySpan<byte> values, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        values.CopyTo(bitmap.GetPixelSpan());
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6))
            ?? throw new DistillException($"cannot encode {path} as PNG");
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
