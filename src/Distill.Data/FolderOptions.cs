using System.Globalization;

namespace Distill.Data;

/// <summary>
/// The part of a <c>folder:</c> spec after the colon: <c>DIR[,size=WxH|resize=short:S][,crop=center:HxW][,channels=1|3]</c>.
/// DIR cannot contain a comma (the spec is one string on the command line).
/// </summary>
public sealed record FolderOptions(string Directory, int? Width, int? Height, int Channels)
{
    /// <summary>Larger sides are almost certainly a typo, and 3·W·H must fit an int.</summary>
    public const int MaxSide = 4096;

    public const string Syntax = "folder:DIR[,size=WxH|resize=short:S][,crop=center:HxW][,channels=1|3]";

    /// <summary>S of <c>resize=short:S</c> (the shorter side to S, aspect kept), or null.</summary>
    public int? ShortSide { get; init; }
    /// <summary><c>crop=center:HxW</c>, or null.</summary>
    public CropSize? Crop { get; init; }

    public static FolderOptions Parse(string text)
    {
        var parts = text.Split(',');
        string dir = parts[0].Trim();
        if (dir.Length == 0) throw new DistillException($"folder: needs a directory ({Syntax})");
        int? width = null, height = null, shortSide = null;
        CropSize? crop = null;
        int channels = 3;
        foreach (var part in parts.Skip(1))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            switch (kv[0])
            {
                case "size" when kv.Length == 2:
                    (width, height) = ParseSize(kv[1], "folder");
                    break;
                case "resize" when kv.Length == 2:
                    shortSide = ResizeAndCrop.ParseShortSide(kv[1], "folder option resize");
                    break;
                case "crop" when kv.Length == 2:
                    crop = ResizeAndCrop.ParseCenterCrop(kv[1], "folder option crop");
                    break;
                case "channels" when kv.Length == 2:
                    channels = ParseChannels(kv[1], "folder");
                    break;
                default:
                    throw new DistillException($"unknown folder option '{part.Trim()}' (expected size=WxH, resize=short:S, crop=center:HxW or channels=1|3)");
            }
        }
        if (width is not null && shortSide is not null)
            throw new DistillException("folder options size=WxH and resize=short:S exclude each other (both resize)");
        return new FolderOptions(dir, width, height, channels) { ShortSide = shortSide, Crop = crop };
    }

    /// <summary>"28x28" (width x height) or "32" (square); <paramref name="kind"/> names the spec in errors.</summary>
    internal static (int, int) ParseSize(string text, string kind)
    {
        var wh = text.Split('x', 'X');
        if (wh.Length is 1 or 2
            && int.TryParse(wh[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(wh[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && w is > 0 and <= MaxSide && h is > 0 and <= MaxSide)
            return (w, h);
        throw new DistillException($"{kind} option size expects WIDTHxHEIGHT with sides 1..{MaxSide} (e.g. size=28x28), got '{text}'");
    }

    /// <summary>"1" (luma) or "3" (RGB); <paramref name="kind"/> names the spec in errors.</summary>
    internal static int ParseChannels(string text, string kind) => text switch
    {
        "1" => 1,
        "3" => 3,
        _ => throw new DistillException($"{kind} option channels must be 1 or 3, got '{text}'"),
    };
}
