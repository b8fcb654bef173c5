using System.Globalization;

namespace Distill.Data;

/// <summary>Height and width of torchvision's <c>CenterCrop((h, w))</c>.</summary>
public readonly record struct CropSize(int Height, int Width)
{
    public override string ToString() => FormattableString.Invariant($"{Height}x{Width}");
}

/// <summary>
/// Where one image's pixels go: resized to <see cref="ResizedWidth"/> × <see cref="ResizedHeight"/>, then output pixel
/// (x, y) is resized pixel (x + <see cref="Left"/>, y + <see cref="Top"/>), zero outside the resized image.
/// </summary>
public readonly record struct Placement(int ResizedWidth, int ResizedHeight, int Left, int Top, int Width, int Height);

/// <summary>
/// torchvision's evaluation geometry on a PIL image: <c>Resize((h, w))</c> (a fixed size) or <c>Resize(S)</c> (the
/// shorter side to S, aspect kept), then optionally <c>CenterCrop((h, w))</c>, with torchvision 0.14's rounding.
/// The pixels themselves are resampled by <see cref="PilBilinear"/>.
/// </summary>
public sealed record ResizeAndCrop
{
    /// <summary>Fixed output size of the resize (stretching), or null.</summary>
    public (int Width, int Height)? Size { get; init; }
    /// <summary>S of <c>resize=short:S</c>, or null.</summary>
    public int? ShortSide { get; init; }
    public CropSize? Crop { get; init; }

    /// <summary>The sample size every image ends up with, when the settings fix one (a crop or a fixed size).</summary>
    public (int Width, int Height)? OutputSize =>
        Crop is { } c ? (c.Width, c.Height) : Size;

    /// <summary>Where the pixels of an image of <paramref name="width"/> × <paramref name="height"/> go.</summary>
    public Placement Place(int width, int height)
    {
        var (rw, rh) = Size ?? (ShortSide is int s ? ShorterSideTo(width, height, s) : (width, height));
        if (Crop is not { } c) return new Placement(rw, rh, 0, 0, rw, rh);
        return new Placement(rw, rh, CropStart(rw, c.Width), CropStart(rh, c.Height), c.Width, c.Height);
    }

    // torchvision _compute_resized_output_size: the long side is int(S * long / short), truncated.
    private static (int, int) ShorterSideTo(int width, int height, int s)
    {
        bool wide = width > height;
        int shortSide = wide ? height : width, longSide = wide ? width : height;
        int newLong = (int)((double)s * longSide / shortSide);
        return wide ? (newLong, s) : (s, newLong);
    }

    // torchvision center_crop: a larger crop pads by (crop - size) // 2 before the image (so the crop starts that far
    // before it); otherwise it starts at int(round((size - crop) / 2.0)), Python's round being half-to-even.
    private static int CropStart(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    /// <summary>How the settings read in a spec (and in the dataset fingerprint).</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Size is var (w, h)) parts.Add(FormattableString.Invariant($"size={w}x{h}"));
        if (ShortSide is int s) parts.Add(FormattableString.Invariant($"resize=short:{s}"));
        if (Crop is { } c) parts.Add($"crop=center:{c}");
        return string.Join(",", parts);
    }

    /// <summary>Parses <c>short:S</c> (the value of <c>resize=</c>); <paramref name="what"/> names the field in errors.</summary>
    public static int ParseShortSide(string text, string what)
    {
        if (text.StartsWith("short:", StringComparison.Ordinal) && Side(text["short:".Length..]) is int s) return s;
        throw new DistillException($"{what} expects short:S (the shorter side to S pixels, 1..{FolderOptions.MaxSide}), got '{text}'");
    }

    /// <summary>Parses <c>center:HxW</c> or <c>center:S</c> (the value of <c>crop=</c>).</summary>
    public static CropSize ParseCenterCrop(string text, string what)
    {
        if (text.StartsWith("center:", StringComparison.Ordinal))
        {
            var hw = text["center:".Length..].Split('x', 'X');
            if (hw.Length is 1 or 2 && Side(hw[0]) is int h && Side(hw[^1]) is int w) return new CropSize(h, w);
        }
        throw new DistillException($"{what} expects center:HxW (height x width, as torchvision's CenterCrop((h, w))) or center:S, got '{text}'");
    }

    private static int? Side(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is > 0 and <= FolderOptions.MaxSide ? v : null;
}
