using System.Globalization;
using System.Security.Cryptography;
using SkiaSharp;

namespace Distill.Data;

/// <summary>
/// An image folder in torchvision's ImageFolder layout: one subfolder per class (class index = ordinal order of the
/// folder names), PNG or JPEG files in each (ordinal order). With <c>train/</c> and <c>test/</c> subfolders each is a
/// split; otherwise the folder is the train split only. Spec: <c>folder:DIR[,size=HxW][,channels=1|3]</c>.
/// Images are decoded with SkiaSharp as unpremultiplied RGBA and, when their size differs from the dataset's (the
/// given size, else the first image's), resized with the Mitchell cubic filter (B = C = 1/3). One channel is luminance
/// 0.299 R + 0.587 G + 0.114 B (ITU-R 601, as PIL's "L"). The fingerprint hashes every file's bytes, relative path and
/// label, and the size and channels, so any change to the data changes it (each open reads every file once, in parallel).
/// </summary>
public sealed class FolderDataset : IDataset
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };
    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly int _height, _width, _channels;

    public string Name { get; }
    public string Split { get; }
    public int Count => _files.Length;
    public int[] SampleShape => new[] { _channels, _height, _width };
    public int? ClassCount { get; }
    public bool HasLabels => true;
    public string Fingerprint { get; }
    /// <summary>Class folder names, in class-index order.</summary>
    public IReadOnlyList<string> Classes { get; }

    private FolderDataset(string name, string split, string[] files, int[] labels, string[] classes, int height, int width,
        int channels, string fingerprint)
    {
        Name = name; Split = split; _files = files; _labels = labels; Classes = classes; ClassCount = classes.Length;
        _height = height; _width = width; _channels = channels; Fingerprint = fingerprint;
    }

    /// <param name="spec">DIR[,size=HxW][,channels=1|3].</param>
    public static FolderDataset Open(string name, string spec, string split)
    {
        if (split is not ("train" or "test")) throw new DistillException($"unknown split '{split}' (expected train or test)");
        var parts = spec.Split(',');
        string root = parts[0];
        int? height = null, width = null, channels = 3;
        foreach (var option in parts.Skip(1))
        {
            var kv = option.Split('=', 2);
            if (kv.Length == 2 && kv[0] == "size" && kv[1].Split('x') is [var h, var w]
                && int.TryParse(h, NumberStyles.None, CultureInfo.InvariantCulture, out var hh) && hh > 0
                && int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var ww) && ww > 0)
                (height, width) = (hh, ww);
            else if (kv.Length == 2 && kv[0] == "channels" && kv[1] is "1" or "3") channels = kv[1] == "1" ? 1 : 3;
            else throw new DistillException($"folder dataset option '{option}' is not size=HxW or channels=1|3");
        }
        if (!Directory.Exists(root)) throw new DistillException($"dataset directory not found: {root}");
        string dir = Directory.Exists(Path.Combine(root, "train")) && Directory.Exists(Path.Combine(root, "test"))
            ? Path.Combine(root, split)
            : split == "train" ? root
            : throw new DistillException($"{root} has no train/ and test/ subfolders, so it is a single (train) split");

        var classes = Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new DistillException($"{dir} holds no class subfolders (expected DIR/<class>/<image>.png|jpg)");
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classes.Length; c++)
        {
            var images = Directory.GetFiles(Path.Combine(dir, classes[c]))
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray();
            if (images.Length == 0) throw new DistillException($"class folder {Path.Combine(dir, classes[c])} holds no .png or .jpg images");
            files.AddRange(images);
            labels.AddRange(Enumerable.Repeat(c, images.Length));
        }
        if (height is null) (height, width) = ImageSize(files[0]);
        string fingerprint = Hash(dir, files, labels, height.Value, width!.Value, channels.Value);
        return new FolderDataset(name, split, files.ToArray(), labels.ToArray(), classes, height.Value, width.Value, channels.Value, fingerprint);
    }

    private static (int Height, int Width) ImageSize(string file)
    {
        using var codec = SKCodec.Create(file) ?? throw new DistillException($"{file} is not a readable PNG or JPEG image");
        return (codec.Info.Height, codec.Info.Width);
    }

    // Per-file hashes in parallel (reading is the cost), combined in file order.
    private static string Hash(string dir, List<string> files, List<int> labels, int height, int width, int channels)
    {
        var perFile = new byte[files.Count][];
        InParallel(files.Count, i =>
        {
            try
            {
                using var f = File.OpenRead(files[i]);
                perFile[i] = SHA256.HashData(f);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DistillException($"cannot read {files[i]}: {e.Message}", e);
            }
        });
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{height}x{width}x{channels}"));
        for (int i = 0; i < files.Count; i++)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{Path.GetRelativePath(dir, files[i])}\n{labels[i]}\n"));
            sha.AppendData(perFile[i]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        int size = _channels * _height * _width;
        if (destination.Length < count * size) throw new ArgumentException("destination too small");
        var results = new float[count][];
        InParallel(count, i => results[i] = Decode(_files[start + i]));
        for (int i = 0; i < count; i++) results[i].CopyTo(destination.Slice(i * size, size));
    }

    private float[] Decode(string file)
    {
        using var codec = SKCodec.Create(file) ?? throw new DistillException($"{file} is not a readable PNG or JPEG image");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = SKBitmap.Decode(codec, info) ?? throw new DistillException($"{file} could not be decoded");
        SKBitmap? resized = null;
        try
        {
            var bitmap = decoded;
            if (decoded.Width != _width || decoded.Height != _height)
            {
                resized = decoded.Resize(new SKImageInfo(_width, _height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                    new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? throw new DistillException($"{file} could not be resized to {_height}x{_width}");
                bitmap = resized;
            }
            var rgba = bitmap.GetPixelSpan();
            int plane = _height * _width;
            var values = new float[_channels * plane];
            for (int p = 0; p < plane; p++)
            {
                byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
                if (_channels == 1) values[p] = 0.299f * r + 0.587f * g + 0.114f * b;
                else { values[p] = r; values[plane + p] = g; values[2 * plane + p] = b; }
            }
            return values;
        }
        finally { resized?.Dispose(); }
    }

    public int GetLabel(int index) => _labels[index];

    // Parallel.For wraps errors; a user error must stay our one-line DistillException.
    private static void InParallel(int count, Action<int> body)
    {
        try { Parallel.For(0, count, body); }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is DistillException) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }
}
