using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Distill.Data;

/// <summary>
/// A NumPy <c>.npy</c> array [N, ...] of float32, float64 or uint8 samples, memory-mapped (so a large file costs
/// only the pages touched), with optional labels from a second <c>.npy</c> (integer, [N]). One split only: "train".
/// Spec: <c>npy:FILE[,LABELS]</c>.
/// </summary>
public sealed partial class NpyDataset : IDataset, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _dataOffset;
    private readonly char _kind;     // 'f' or 'u'
    private readonly int _itemSize;  // 1, 4 or 8
    private readonly int[]? _labels;

    public string Name { get; }
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; }
    public int? ClassCount { get; }
    public bool HasLabels => _labels is not null;
    public string Fingerprint { get; }

    private NpyDataset(string name, string split, string path, NpyHeader h, int[]? labels)
    {
        Name = name; Split = split; _labels = labels;
        if (h.Shape.Length < 1) throw new DistillException($"{path}: expected an array [N, ...], got a scalar");
        Count = checked((int)h.Shape[0]);
        SampleShape = h.Shape.Length == 1 ? new[] { 1 } : h.Shape.Skip(1).Select(d => checked((int)d)).ToArray();
        (_kind, _itemSize) = (h.Kind, h.ItemSize);
        if (h.Kind == 'u' && h.ItemSize != 1 || h.Kind == 'f' && h.ItemSize is not (4 or 8) || h.Kind is not ('u' or 'f'))
            throw new DistillException($"{path}: unsupported dtype '{h.Descr}' (expected <f4, <f8 or |u1)");
        if (labels is not null && labels.Length != Count)
            throw new DistillException($"{path}: {Count} samples but {labels.Length} labels");
        ClassCount = labels is null || labels.Length == 0 ? null : labels.Max() + 1;
        _dataOffset = h.DataOffset;
        long need = _dataOffset + (long)Count * this.SampleSize() * _itemSize;
        var length = new FileInfo(path).Length;
        if (length < need) throw new DistillException($"{path}: file is {length} bytes, header promises {need}");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        Fingerprint = Hash(path, labels);
    }

    public static NpyDataset Open(string name, string spec, string split)
    {
        if (split != "train")
            throw new DistillException($"npy datasets have one split (train); '{split}' is not available for {name}");
        var parts = spec.Split(',', 2);
        string path = parts[0];
        if (!File.Exists(path)) throw new DistillException($"npy file not found: {path}");
        var header = ReadHeader(path);
        int[]? labels = parts.Length > 1 ? ReadLabels(parts[1]) : null;
        return new NpyDataset(name, split, path, header, labels);
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        int n = count * this.SampleSize();
        long pos = _dataOffset + (long)start * this.SampleSize() * _itemSize;
        switch (_kind, _itemSize)
        {
            case ('f', 4): { var a = new float[n]; _view.ReadArray(pos, a, 0, n); a.CopyTo(destination); break; }
            case ('f', 8): { var a = new double[n]; _view.ReadArray(pos, a, 0, n); for (int i = 0; i < n; i++) destination[i] = (float)a[i]; break; }
            default: { var a = new byte[n]; _view.ReadArray(pos, a, 0, n); Pixels.ToFloats(a, destination); break; }
        }
    }

    public int GetLabel(int index) =>
        _labels is null ? throw new InvalidOperationException($"{Name} has no labels") : _labels[index];

    public void Dispose() { _view.Dispose(); _map.Dispose(); }

    private static string Hash(string path, int[]? labels)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var f = File.OpenRead(path))
        {
            var buf = new byte[1 << 20];
            int r;
            while ((r = f.Read(buf)) > 0) sha.AppendData(buf.AsSpan(0, r));
        }
        if (labels is not null)
            foreach (var l in labels) sha.AppendData(BitConverter.GetBytes(l));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static int[] ReadLabels(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"npy labels file not found: {path}");
        var h = ReadHeader(path);
        if (h.Shape.Length != 1) throw new DistillException($"{path}: labels must be a 1-D array");
        var bytes = File.ReadAllBytes(path).AsSpan((int)h.DataOffset);
        int n = checked((int)h.Shape[0]);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            labels[i] = (h.Kind, h.ItemSize) switch
            {
                ('i', 8) => checked((int)BitConverter.ToInt64(bytes.Slice(i * 8, 8))),
                ('i', 4) => BitConverter.ToInt32(bytes.Slice(i * 4, 4)),
                ('u', 1) => bytes[i],
                _ => throw new DistillException($"{path}: unsupported label dtype '{h.Descr}' (expected <i8, <i4 or |u1)"),
            };
        return labels;
    }

    public sealed record NpyHeader(string Descr, char Kind, int ItemSize, long[] Shape, long DataOffset);

    public static NpyHeader ReadHeader(string path)
    {
        using var f = File.OpenRead(path);
        var pre = new byte[10];
        if (f.Read(pre) != 10 || pre[0] != 0x93 || Encoding.ASCII.GetString(pre, 1, 5) != "NUMPY")
            throw new DistillException($"{path} is not a .npy file");
        int major = pre[6];
        long headerLen;
        int prefix;
        if (major == 1) { headerLen = pre[8] | (pre[9] << 8); prefix = 10; }
        else
        {
            var more = new byte[2];
            f.ReadExactly(more);
            headerLen = BitConverter.ToUInt32(new[] { pre[8], pre[9], more[0], more[1] });
            prefix = 12;
        }
        var hb = new byte[headerLen];
        f.ReadExactly(hb);
        var text = Encoding.ASCII.GetString(hb);
        var descr = DescrRe().Match(text);
        var shape = ShapeRe().Match(text);
        if (!descr.Success || !shape.Success) throw new DistillException($"{path}: cannot parse .npy header '{text.Trim()}'");
        if (FortranRe().IsMatch(text)) throw new DistillException($"{path}: Fortran-order arrays are not supported");
        string d = descr.Groups[1].Value;
        if (d[0] == '>') throw new DistillException($"{path}: big-endian arrays are not supported");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new NpyHeader(d, d[1], int.Parse(d[2..], CultureInfo.InvariantCulture), dims, prefix + headerLen);
    }

    /// <summary>Writes a float32 C-order array (used by tests and the memory benchmark).</summary>
    public static void WriteFloat32(string path, long[] shape, Func<long, float> valueAt)
    {
        using var f = new BufferedStream(File.Create(path), 1 << 20);
        WriteHeader(f, "<f4", shape);
        long total = shape.Aggregate(1L, (a, b) => a * b);
        Span<byte> b4 = stackalloc byte[4];
        for (long i = 0; i < total; i++) { BitConverter.TryWriteBytes(b4, valueAt(i)); f.Write(b4); }
    }

    public static void WriteInt64(string path, long[] values)
    {
        using var f = new BufferedStream(File.Create(path), 1 << 20);
        WriteHeader(f, "<i8", new long[] { values.Length });
        foreach (var v in values) f.Write(BitConverter.GetBytes(v));
    }

    private static void WriteHeader(Stream f, string descr, long[] shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string h = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + h.Length + 1;
        h += new string(' ', (64 - total % 64) % 64) + "\n";
        f.Write(new byte[] { 0x93 }); f.Write(Encoding.ASCII.GetBytes("NUMPY")); f.Write(new byte[] { 1, 0 });
        f.Write(BitConverter.GetBytes((ushort)h.Length)); f.Write(Encoding.ASCII.GetBytes(h));
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")] private static partial Regex DescrRe();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRe();
    [GeneratedRegex(@"'fortran_order'\s*:\s*True")] private static partial Regex FortranRe();
}
