using System.IO.Compression;
using System.Security.Cryptography;

namespace Distill.Data;

/// <summary>
/// MNIST-style IDX files (<c>{train,t10k}-images-idx3-ubyte[.gz]</c> and <c>-labels-idx1-ubyte[.gz]</c>), loaded
/// into memory as bytes (Fashion-MNIST train: 47 MB). Format: http://yann.lecun.com/exdb/mnist/ (big-endian header).
/// </summary>
public sealed class IdxDataset : IDataset
{
    private readonly byte[] _pixels;
    private readonly byte[]? _labels;

    public string Name { get; }
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; }
    public int? ClassCount { get; }
    public bool HasLabels => _labels is not null;
    public string Fingerprint { get; }
    public string ImagesPath { get; }

    private IdxDataset(string name, string split, string imagesPath, byte[] pixels, int count, int rows, int cols, byte[]? labels)
    {
        Name = name; Split = split; ImagesPath = imagesPath; _pixels = pixels; Count = count; _labels = labels;
        SampleShape = new[] { 1, rows, cols };
        ClassCount = labels is null ? null : labels.Max() + 1;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(pixels);
        if (labels is not null) sha.AppendData(labels);
        Fingerprint = Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Opens the split in <paramref name="directory"/>; "test" reads the t10k files.</summary>
    public static IdxDataset Open(string name, string directory, string split)
    {
        if (split is not ("train" or "test"))
            throw new DistillException($"unknown split '{split}' (expected train or test)");
        if (!Directory.Exists(directory))
            throw new DistillException($"dataset directory not found: {directory}");
        string prefix = split == "train" ? "train" : "t10k";
        string images = Find(directory, $"{prefix}-images-idx3-ubyte")
            ?? throw new DistillException($"no {prefix}-images-idx3-ubyte[.gz] in {directory}");
        string? labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");

        var (pixels, dims) = ReadIdx(images, expectedRank: 3);
        byte[]? labels = null;
        if (labelsPath is not null)
        {
            (labels, var ldims) = ReadIdx(labelsPath, expectedRank: 1);
            if (ldims[0] != dims[0])
                throw new DistillException($"{labelsPath} has {ldims[0]} labels but {images} has {dims[0]} images");
        }
        return new IdxDataset(name, split, images, pixels, dims[0], dims[1], dims[2], labels);
    }

    private static string? Find(string dir, string stem)
    {
        foreach (var candidate in new[] { stem, stem + ".gz" })
        {
            var p = Path.Combine(dir, candidate);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static (byte[] data, int[] dims) ReadIdx(string path, int expectedRank)
    {
        try
        {
            using Stream file = File.OpenRead(path);
            using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
            Span<byte> magic = stackalloc byte[4];
            s.ReadExactly(magic);
            if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08)
                throw new DistillException($"{path} is not an unsigned-byte IDX file");
            int rank = magic[3];
            if (rank != expectedRank)
                throw new DistillException($"{path} has rank {rank}, expected {expectedRank}");
            var dims = new int[rank];
            Span<byte> dim = stackalloc byte[4];
            long total = 1;
            for (int i = 0; i < rank; i++)
            {
                s.ReadExactly(dim);
                dims[i] = (dim[0] << 24) | (dim[1] << 16) | (dim[2] << 8) | dim[3];
                total *= dims[i];
            }
            var data = new byte[total];
            s.ReadExactly(data);
            return (data, dims);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException)
        {
            throw new DistillException($"cannot read {path}: {e.Message}", e);
        }
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        int size = this.SampleSize();
        Pixels.ToFloats(_pixels.AsSpan(start * size, count * size), destination);
    }

    public int GetLabel(int index) =>
        _labels is null ? throw new InvalidOperationException($"{Name} {Split} has no labels") : _labels[index];
}
