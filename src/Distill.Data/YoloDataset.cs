using System.Security.Cryptography;
using System.Text;

namespace Distill.Data;

/// <summary>
/// The layout YOLO users bring: <c>images/{split}/**.png|jpg</c>, beside each image a label file
/// <c>labels/{split}/NAME.txt</c> (<see cref="YoloLabels"/>) and optionally a mask <c>masks/{split}/NAME.png</c>
/// (<see cref="YoloMasks"/>); the test split is <c>test/</c>, or <c>val/</c> when there is no <c>test/</c>. Spec:
/// <see cref="YoloOptions.Usage"/>. Samples are the images ([C, H, W], decoded as <c>folder:</c> decodes them), so the
/// teacher stage needs nothing else. A scene has no single class label: <see cref="HasLabels"/> is false and the
/// boxes and masks come through <see cref="IDenseTargets"/>. The fingerprint covers every image, label and mask file.
/// </summary>
public sealed class YoloDataset : IDataset, IDenseTargets
{
    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    private readonly string[] _images, _relative;
    private readonly string[]? _labelFiles, _maskFiles;
    private readonly int _width, _height, _channels;
    // Images of another size are stretched to the sample size as torchvision's Resize((h, w)) does.
    private readonly ResizeAndCrop _geometry;
    private readonly int? _classCount;
    private readonly Lazy<string> _fingerprint;

    public string Name { get; }
    public string Split { get; }
    public int Count => _images.Length;
    public int[] SampleShape { get; }
    /// <summary>Null: samples have no class label (<see cref="IDenseTargets"/> has the box and mask classes).</summary>
    public int? ClassCount => null;
    public bool HasLabels => false;
    public string Fingerprint => _fingerprint.Value;
    public ISegmentationMasks? Masks { get; }
    public IObjectBoxes? Boxes { get; }
    /// <summary>Names from classes.txt, when it has one per class.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    private YoloDataset(string name, string split, string[] images, string[] relative, string[]? labelFiles, string[]? maskFiles,
        int width, int height, int channels, int? classCount, IReadOnlyList<string>? classNames)
    {
        (Name, Split, _images, _relative, _labelFiles, _maskFiles) = (name, split, images, relative, labelFiles, maskFiles);
        (_width, _height, _channels, _classCount, ClassNames) = (width, height, channels, classCount, classNames);
        _geometry = new ResizeAndCrop { Size = (width, height) };
        SampleShape = new[] { channels, height, width };
        if (labelFiles is not null) Boxes = YoloLabels.Read(labelFiles, classCount!.Value);
        if (maskFiles is not null) Masks = new YoloMasks(maskFiles, images, classCount!.Value, height, width);
        _fingerprint = new Lazy<string>(ComputeFingerprint);
    }

    public static YoloDataset Open(string name, string spec, string split)
    {
        if (split is not ("train" or "test"))
            throw new DistillException($"unknown split '{split}' (expected train or test)");
        var o = YoloOptions.Parse(spec);
        string dir = o.Directory;
        if (!Directory.Exists(dir)) throw new DistillException($"dataset directory not found: {dir}");
        string folder = SplitFolder(dir, split);
        string imageRoot = Path.Combine(dir, "images", folder);
        var relative = ImagesBelow(imageRoot);
        if (relative.Length == 0) throw new DistillException($"{imageRoot} has no PNG or JPEG images");
        var images = relative.Select(r => Path.Combine(imageRoot, r)).ToArray();

        string labelRoot = Path.Combine(dir, "labels", folder);
        string[]? labels = Directory.Exists(labelRoot) ? relative.Select(r => Path.Combine(labelRoot, Path.ChangeExtension(r, ".txt"))).ToArray() : null;
        string? maskRoot = o.NoMasks ? null : o.MasksDirectory is { } m ? Path.Combine(m, folder) : Path.Combine(dir, "masks", folder);
        if (o.MasksDirectory is not null && !Directory.Exists(maskRoot))
            throw new DistillException($"masks folder not found: {maskRoot} (masks=PATH needs PATH/{folder}/)");
        string[]? masks = maskRoot is not null && Directory.Exists(maskRoot)
            ? relative.Select(r => Path.Combine(maskRoot, Path.ChangeExtension(r, ".png"))).ToArray() : null;
        // A missing file is named now rather than when a batch first needs it.
        foreach (var (files, what) in new[] { (labels, "label"), (masks, "mask") })
            if (files?.FirstOrDefault(f => !File.Exists(f)) is { } missing)
                throw new DistillException($"{what} file missing: {missing} (every image in {imageRoot} needs one)");

        var (classCount, names) = Classes(dir, o.ClassCount, labels is not null || masks is not null);
        // The first training image sets size and channels, so both splits have one sample shape.
        string first = FirstTrainingImage(dir) ?? images[0];
        var (width, height) = o.Width is int w && o.Height is int h ? (w, h) : ImageDecoder.Size(first);
        if (width > FolderOptions.MaxSide || height > FolderOptions.MaxSide)
            throw new DistillException($"{first} is {width}x{height}; pass a smaller size=WxH in the dataset spec");
        int channels = o.Channels ?? (ImageDecoder.IsGrey(first) ? 1 : 3);
        return new YoloDataset(name, split, images, relative, labels, masks, width, height, channels, classCount, names);
    }

    private static string SplitFolder(string dir, string split)
    {
        if (Directory.Exists(Path.Combine(dir, "images", split))) return split;
        if (split == "test" && Directory.Exists(Path.Combine(dir, "images", "val"))) return "val";
        throw new DistillException($"{dir} has no images/{split}/ folder{(split == "test" ? " (nor images/val/)" : "")}");
    }

    private static string[] ImagesBelow(string root) =>
        !Directory.Exists(root) ? Array.Empty<string>() :
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal).ToArray();

    private static string? FirstTrainingImage(string dir) =>
        ImagesBelow(Path.Combine(dir, "images", "train")) is [var f, ..] ? Path.Combine(dir, "images", "train", f) : null;

    // K from classes=K, else from classes.txt (one name per line); needed only when there are labels or masks.
    private static (int?, IReadOnlyList<string>?) Classes(string dir, int? given, bool needed)
    {
        string path = Path.Combine(dir, "classes.txt");
        string[]? names = File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray() : null;
        if (names is { Length: 0 or > 254 }) throw new DistillException($"{path} must list 1 to 254 class names, one per line; it has {names.Length}");
        int? k = given ?? names?.Length;
        if (k is null && needed)
            throw new DistillException($"{dir} has labels or masks but no class count: add classes.txt (one class name per line) or pass classes=K");
        return (k, names is not null && names.Length == k ? names : null);
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        ParallelDecode.Run(count, this.SampleSize(), destination,
            (i, into) => ImageDecoder.Decode(_images[start + i], _geometry, _channels, into));
    }

    public int GetLabel(int index) =>
        throw new InvalidOperationException($"{Name} {Split} has boxes and masks, not one class label per sample");

    // SHA-256 over the settings and class count, then per sample its relative path and the SHA-256 of its image,
    // label and mask files: the same data gives the same fingerprint wherever it lies.
    private string ComputeFingerprint()
    {
        var files = _images.Concat(_labelFiles ?? []).Concat(_maskFiles ?? []).ToArray();
        var hashes = FileHash.Sha256All(files);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(
            $"yolo size={_width}x{_height} channels={_channels} classes={_classCount} labels={_labelFiles is not null} masks={_maskFiles is not null}\n"));
        for (int i = 0; i < _images.Length; i++)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(_relative[i] + "\n"));
            for (int part = 0; part * Count + i < files.Length; part++) sha.AppendData(hashes[part * Count + i]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
