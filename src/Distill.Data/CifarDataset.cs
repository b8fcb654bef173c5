using System.Security.Cryptography;

namespace Distill.Data;

/// <summary>
/// The binary releases of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html), read into memory
/// once (CIFAR-10 train: 154 MB). A record is the label byte(s) then 3072 pixel bytes: 1024 R, 1024 G, 1024 B, each
/// a row-major 32×32 plane, so a sample is already channels first and is copied out as it is.
/// Specs: <c>cifar10:DIR</c>, <c>cifar100:DIR</c>; DIR holds the .bin files or is the folder the tarball unpacks into.
/// </summary>
public sealed class CifarDataset : IDataset
{
    private const int PixelBytes = 3 * 32 * 32;

    /// <summary>What tells the two releases apart.</summary>
    private sealed record Layout(string Kind, string Folder, string[] Train, string[] Test, int LabelBytes, int Classes)
    {
        public int RecordBytes => LabelBytes + PixelBytes;
    }

    private static readonly Layout Cifar10 = new("CIFAR-10", "cifar-10-batches-bin",
        Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray(), new[] { "test_batch.bin" }, 1, 10);

    // Coarse label (20 superclasses) first, then the fine one (100 classes), which is the one served.
    private static readonly Layout Cifar100 = new("CIFAR-100", "cifar-100-binary", new[] { "train.bin" }, new[] { "test.bin" }, 2, 100);

    private readonly byte[] _records;
    private readonly byte[] _labels;
    private readonly Layout _layout;

    public string Name { get; }
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; } = { 3, 32, 32 };
    public int? ClassCount => _layout.Classes;
    public bool HasLabels => true;
    public string Fingerprint { get; }

    private CifarDataset(string name, string split, Layout layout, byte[] records, byte[] labels, string fingerprint)
    {
        Name = name; Split = split; _layout = layout; _records = records; _labels = labels; Fingerprint = fingerprint;
        Count = labels.Length;
    }

    public static CifarDataset OpenCifar10(string name, string directory, string split) => Open(name, directory, split, Cifar10);
    public static CifarDataset OpenCifar100(string name, string directory, string split) => Open(name, directory, split, Cifar100);

    private static CifarDataset Open(string name, string directory, string split, Layout layout)
    {
        if (split is not ("train" or "test"))
            throw new DistillException($"unknown split '{split}' (expected train or test)");
        if (!Directory.Exists(directory))
            throw new DistillException($"dataset directory not found: {directory}");
        var files = split == "train" ? layout.Train : layout.Test;
        string dir = Locate(directory, files[0], layout);
        var paths = files.Select(f => Path.Combine(dir, f)).ToArray();
        foreach (var p in paths)
            if (!File.Exists(p)) throw new DistillException($"{layout.Kind} file missing: {p}");

        // All files of the split in one array, in file order, hashed as read.
        long total = 0;
        foreach (var p in paths)
        {
            long length = new FileInfo(p).Length;
            if (length == 0 || length % layout.RecordBytes != 0)
                throw new DistillException(
                    $"{p}: {length} bytes is not a whole number of {layout.RecordBytes}-byte {layout.Kind} records (truncated or not a {layout.Kind} binary file?)");
            total += length;
        }
        if (total > Array.MaxLength) throw new DistillException($"{layout.Kind} {split} in {dir} is too large ({total} bytes)");
        var records = new byte[total];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long at = 0;
        foreach (var p in paths)
        {
            var part = records.AsSpan((int)at, (int)new FileInfo(p).Length);
            try
            {
                using var f = File.OpenRead(p);
                f.ReadExactly(part);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DistillException($"cannot read {p}: {e.Message}", e);
            }
            sha.AppendData(part);
            at += part.Length;
        }

        int count = (int)(total / layout.RecordBytes);
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            // The fine label is the last label byte of a record in both releases.
            byte label = records[(long)i * layout.RecordBytes + layout.LabelBytes - 1];
            if (label >= layout.Classes)
                throw new DistillException($"{Where(paths, i, layout)}: label {label} is out of range 0..{layout.Classes - 1}");
            labels[i] = label;
        }
        return new CifarDataset(name, split, layout, records, labels, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    // DIR itself, or the folder the official tarball unpacks into, below it.
    private static string Locate(string directory, string firstFile, Layout layout)
    {
        if (File.Exists(Path.Combine(directory, firstFile))) return directory;
        var nested = Path.Combine(directory, layout.Folder);
        if (File.Exists(Path.Combine(nested, firstFile))) return nested;
        throw new DistillException($"no {layout.Kind} {firstFile} in {directory} (nor in {layout.Folder}/ below it)");
    }

    // "FILE record K" for the i-th record of the split, for error messages.
    private static string Where(string[] paths, int index, Layout layout)
    {
        long offset = (long)index * layout.RecordBytes;
        foreach (var p in paths)
        {
            long length = new FileInfo(p).Length;
            if (offset < length) return $"{p} record {offset / layout.RecordBytes}";
            offset -= length;
        }
        return $"record {index}";
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        for (int i = 0; i < count; i++)
        {
            long record = (long)(start + i) * _layout.RecordBytes + _layout.LabelBytes;
            Pixels.ToFloats(_records.AsSpan((int)record, PixelBytes), destination.Slice(i * PixelBytes, PixelBytes));
        }
    }

    public int GetLabel(int index) => _labels[index];
}
