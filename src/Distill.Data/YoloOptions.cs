using System.Globalization;

namespace Distill.Data;

/// <summary>
/// The part of a <c>yolo:</c> spec after the colon: <c>DIR[,masks=PATH|none][,classes=K][,size=WxH][,channels=1|3]</c>.
/// Masks: DIR/masks when it exists (default), another folder with the same {split}/ layout, or none. Classes: K, else
/// the lines of DIR/classes.txt. Size and channels as for <c>folder:</c>, defaulting to the first training image's.
/// </summary>
public sealed record YoloOptions(string Directory, string? MasksDirectory, bool NoMasks, int? ClassCount, int? Width, int? Height, int? Channels)
{
    public const string Usage = "yolo:DIR[,masks=PATH|none][,classes=K][,size=WxH][,channels=1|3]";

    public static YoloOptions Parse(string text)
    {
        var parts = text.Split(',');
        string dir = parts[0].Trim();
        if (dir.Length == 0) throw new DistillException($"yolo: needs a directory ({Usage})");
        string? masks = null;
        bool noMasks = false;
        int? classes = null, channels = null, width = null, height = null;
        foreach (var part in parts.Skip(1))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            switch (kv[0])
            {
                case "masks" when kv.Length == 2 && kv[1].Length > 0:
                    if (kv[1] == "none") noMasks = true; else masks = kv[1];
                    break;
                case "classes" when kv.Length == 2:
                    classes = int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is > 0 and < 255
                        ? k : throw new DistillException($"yolo option classes must be a class count 1..254, got '{kv[1]}'");
                    break;
                case "size" when kv.Length == 2:
                    (width, height) = FolderOptions.ParseSize(kv[1], "yolo");
                    break;
                case "channels" when kv.Length == 2:
                    channels = FolderOptions.ParseChannels(kv[1], "yolo");
                    break;
                default:
                    throw new DistillException($"unknown yolo option '{part.Trim()}' (expected masks=PATH|none, classes=K, size=WxH or channels=1|3)");
            }
        }
        return new YoloOptions(dir, masks, noMasks, classes, width, height, channels);
    }
}
