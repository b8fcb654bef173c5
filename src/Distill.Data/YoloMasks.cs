using System.Buffers.Binary;
using SkiaSharp;

namespace Distill.Data;

/// <summary>
/// Segmentation masks beside YOLO images: 8-bit greyscale PNG files of the image's size holding the class index per
/// pixel (0 = background, c + 1 = class c). Served at the samples' size (resized by <see cref="MaskResize"/> when the
/// dataset resizes its images). Decoded as read, in parallel; a mask of another size than its image, of another PNG
/// type or with an index above K is refused naming the file.
/// </summary>
public sealed class YoloMasks : ISegmentationMasks
{
    private readonly string[] _masks, _images;

    public int MaskClassCount { get; }
    public (int Height, int Width) MaskSize { get; }

    /// <param name="masks">Mask file of each sample.</param>
    /// <param name="images">The sample's image file, whose size the mask must have.</param>
    public YoloMasks(string[] masks, string[] images, int objectClasses, int height, int width)
    {
        (_masks, _images, MaskClassCount, MaskSize) = (masks, images, objectClasses + 1, (height, width));
    }

    public void ReadMasks(int start, int count, Span<byte> destination)
    {
        if (start < 0 || count < 0 || start + count > _masks.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"masks [{start}, {start + count}) outside [0, {_masks.Length})");
        var (h, w) = MaskSize;
        ParallelDecode.Run(count, h * w, destination, (i, into) => DecodeOne(start + i, into));
    }

    private void DecodeOne(int index, Span<byte> destination)
    {
        string path = _masks[index];
        var (width, height) = GreyPngSize(path);
        var (iw, ih) = ImageDecoder.Size(_images[index]);
        if ((width, height) != (iw, ih))
            throw new DistillException($"mask {path} is {width}x{height} but its image {_images[index]} is {iw}x{ih}");
        using var codec = SKCodec.Create(path) ?? throw new DistillException($"cannot decode mask {path}");
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        if (codec.GetPixels(info, bitmap.GetPixels()) is var r && r != SKCodecResult.Success)
            throw new DistillException($"cannot decode mask {path}: {r} (truncated or corrupt image?)");
        var values = new byte[width * height];
        var pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++) pixels.Slice(y * bitmap.RowBytes, width).CopyTo(values.AsSpan(y * width));
        int max = 0;
        foreach (var v in values) max = Math.Max(max, v);
        if (max >= MaskClassCount)
        {
            int at = Array.IndexOf(values, (byte)max);
            throw new DistillException($"mask {path} has class index {max} at ({at % width}, {at / width}); " +
                $"with {MaskClassCount - 1} classes indices are 0 (background) to {MaskClassCount - 1}");
        }
        var (h, w) = MaskSize;
        if ((h, w) == (height, width)) values.CopyTo(destination);
        else MaskResize.Nearest(values, 1, height, width, destination, h, w);
    }

    // Width and height from the PNG header, which must say 8-bit greyscale (colour type 0): palette or RGB masks would
    // need their colours mapped to classes, which is not defined here.
    private static (int, int) GreyPngSize(string path)
    {
        Span<byte> head = stackalloc byte[26];
        try
        {
            using var f = File.OpenRead(path);
            if (f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) head.Clear();
        }
        catch (FileNotFoundException) { throw new DistillException($"mask file missing: {path}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot read mask {path}: {e.Message}", e); }
        if (!head[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }) || !head[12..16].SequenceEqual("IHDR"u8))
            throw new DistillException($"mask {path} is not a PNG file");
        if (head[24] != 8 || head[25] != 0)
            throw new DistillException($"mask {path} is not an 8-bit greyscale PNG (bit depth {head[24]}, colour type {head[25]}); masks hold the class index per pixel");
        return (BinaryPrimitives.ReadInt32BigEndian(head[16..20]), BinaryPrimitives.ReadInt32BigEndian(head[20..24]));
    }
}
