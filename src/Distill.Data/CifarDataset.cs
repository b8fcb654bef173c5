using System.Security.Cryptography;

namespace Distill.Data;

/// <summary>
/// CIFAR-10 / CIFAR-100 in their binary releases (https://www.cs.toronto.edu/~kriz/cifar.html), loaded into memory.
/// CIFAR-10: <c>data_batch_1..5.bin</c> (train) and <c>test_batch.bin</c>, records of 1 label byte + 3072 pixel bytes.
/// CIFAR-100: <c>train.bin</c> and <c>test.bin</c>, records of a coarse and a fine label byte + 3072 pixel bytes; the
/// fine label (100 classes) is used. Pixels are 1024 R, 1024 G, 1024 B, each 32×32 row-major: already channels first.
/// DIR may be the folder with the .bin files or its parent holding <c>cifar-10-batches-bin/</c> / <c>cifar-100-binary/</c>.
/// </summary>
public sealed class CifarDataset : IDataset
{
    private const int Pixels = 3 * 32 * 32;
    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    public string Name { get; }
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; } = { 3, 32, 32 };
    public int? ClassCount { get; }
    public bool HasLabels => true;
    public string Fingerprint { get; }

    private CifarDataset(string name, string split, byte[] pixels, byte[] labels, int classes, string fingerprint)
    {
        Name = name; Split = split; _pixels = pixels; _labels = labels; Count = labels.Length; ClassCount = classes;
        Fingerprint = fingerprint;
    }

    /// <param name="classes">10 or 100.</param>
    public static CifarDataset Open(string name, string directory, string split, int classes)
    {
        if (split is not ("train" or "test")) throw new DistillException($"unknown split '{split}' (expected train or test)");
        if (!Directory.Exists(directory)) throw new DistillException($"dataset directory not found: {directory}");
        string release = classes == 10 ? "cifar-10-batches-bin" : "cifar-100-binary";
        if (Directory.Exists(Path.Combine(directory, release))) directory = Path.Combine(directory, release);
        string[] files = (classes, split) switch
        {
            (10, "train") => Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray(),
            (10, _) => new[] { "test_batch.bin" },
            (_, "train") => new[] { "train.bin" },
            _ => new[] { "test.bin" },
        };
        int labelBytes = classes == 10 ? 1 : 2, record = labelBytes + Pixels;
        var pixels = new List<byte[]>();
        var labels = new List<byte>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path)) throw new DistillException($"no {file} in {directory} (expected the CIFAR-{classes} binary release)");
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DistillException($"cannot read {path}: {e.Message}", e); }
            if (bytes.Length == 0 || bytes.Length % record != 0)
                throw new DistillException($"{path} holds {bytes.Length} bytes, not a whole number of {record}-byte CIFAR-{classes} records");
            sha.AppendData(bytes);
            int n = bytes.Length / record;
            var chunk = new byte[n * Pixels];
            for (int i = 0; i < n; i++)
            {
                byte label = bytes[i * record + labelBytes - 1];
                if (label >= classes) throw new DistillException($"{path}: record {i} has label {label}, outside [0, {classes})");
                labels.Add(label);
                bytes.AsSpan(i * record + labelBytes, Pixels).CopyTo(chunk.AsSpan(i * Pixels));
            }
            pixels.Add(chunk);
        }
        var all = pixels.Count == 1 ? pixels[0] : pixels.SelectMany(p => p).ToArray();
        return new CifarDataset(name, split, all, labels.ToArray(), classes, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        var src = _pixels.AsSpan(start * Pixels, count * Pixels);
        for (int i = 0; i < src.Length; i++) destination[i] = src[i];
    }

    public int GetLabel(int index) => _labels[index];
}
