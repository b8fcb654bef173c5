using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Distill.Data;
using Microsoft.ML;

namespace Distill.MLNet.Data;

/// <summary>
/// An IDataView's feature column (and label column) as a toolkit dataset (<see cref="IDataset"/>), so the teacher and
/// the trainer read it exactly as they read a dataset file. One pass at creation counts the rows, reads the labels and
/// computes the fingerprint: SHA-256 over the samples, then the labels, each as bytes when every value is a whole
/// number in 0..255 (the IDX files' own layout, so Fashion-MNIST loaded any way gets the fingerprint of
/// precompute-logits --dataset fashion-mnist), else as little-endian float32 / int32. With <c>keepSamples</c> the
/// samples stay in memory (as bytes when they all are), for random access; otherwise they are read again in order,
/// which is how the teacher reads them.
/// </summary>
public sealed class DataViewDataset : IDataset, IDisposable
{
    private readonly IDataView _view;
    private readonly string _featureColumn;
    private readonly int[]? _labels;
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly object _gate = new();
    private ColumnRows? _rows;   // the sequential reader when samples are not kept
    private int _next;

    public string Name { get; }
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; }
    public int? ClassCount { get; }
    public bool HasLabels => _labels is not null;
    public string Fingerprint { get; }

    private DataViewDataset(IDataView view, string featureColumn, string split, int count, int[] shape, int[]? labels,
        string fingerprint, byte[]? bytes, float[]? floats)
    {
        (_view, _featureColumn, Split, Count, SampleShape, _labels, Fingerprint, _bytes, _floats) =
            (view, featureColumn, split, count, shape, labels, fingerprint, bytes, floats);
        Name = $"IDataView column '{featureColumn}'";
        ClassCount = labels is { Length: > 0 } ? labels.Max() + 1 : null;
    }

    /// <param name="split">The split this data stands for ("train" or "test"): recorded in a cache, checked against one.</param>
    /// <param name="sampleShape">One sample's shape, channels first; default: the vector column's dimensions.</param>
    /// <param name="keepSamples">Keep the samples in memory for random access (the trainer's need).</param>
    public static DataViewDataset Scan(IDataView view, string featureColumn, string? labelColumn, string split,
        int[]? sampleShape = null, bool keepSamples = false)
    {
        using var rows = new ColumnRows(view, featureColumn, labelColumn);
        int size = rows.Size;
        var shape = sampleShape ?? VectorShape(view, featureColumn);
        if (shape.Aggregate(1L, (a, b) => a * b) != size)
            throw new DistillException($"sample shape [{string.Join(",", shape)}] does not hold the {size} values of column '{featureColumn}'");
        long rowCount = view.GetRowCount() ?? -1;
        if (keepSamples && rowCount * size > Array.MaxLength)
            throw new DistillException($"column '{featureColumn}' holds {rowCount:N0} rows × {size:N0} values, more than can be kept in memory for training");
        var labels = rows.HasLabels ? new List<int>(rowCount > 0 ? (int)Math.Min(rowCount, int.MaxValue) : 0) : null;
        using var asFloats = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var asBytes = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool byteValued = true;
        var sample = new float[size];
        var sampleBytes = new byte[size];
        var kept = keepSamples ? new SampleStore(size, rowCount) : null;
        int count = 0;
        while (rows.Next())
        {
            if (count == int.MaxValue) throw new DistillException($"column '{featureColumn}' has more than {int.MaxValue:N0} rows");
            rows.Sample(sample);
            asFloats.AppendData(MemoryMarshal.AsBytes(sample.AsSpan()));
            if (byteValued && (byteValued = ToBytes(sample, sampleBytes))) asBytes.AppendData(sampleBytes);
            kept?.Add(sample, byteValued ? sampleBytes : null);
            if (labels is not null) labels.Add(rows.Label());
            count++;
        }
        if (count == 0) throw new DistillException($"column '{featureColumn}' has no rows");
        var hash = byteValued ? asBytes : asFloats;
        if (labels is not null)
        {
            if (labels.All(l => l <= byte.MaxValue)) hash.AppendData(labels.Select(l => (byte)l).ToArray());
            else hash.AppendData(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(labels)));
        }
        return new DataViewDataset(view, featureColumn, split, count, shape, labels?.ToArray(),
            Convert.ToHexStringLower(hash.GetHashAndReset()), kept?.Bytes, kept?.Floats);
    }

    // Exact: true only when every value is a whole number in 0..255 (then the bytes hold the sample).
    private static bool ToBytes(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0 && v <= 255) || v != MathF.Floor(v)) return false;
            bytes[i] = (byte)v;
        }
        return true;
    }

    private static int[] VectorShape(IDataView view, string column)
    {
        var type = (Microsoft.ML.Data.VectorDataViewType)view.Schema[column].Type;
        return type.Dimensions.Length > 0 && type.Dimensions.All(d => d > 0) ? type.Dimensions.ToArray() : new[] { type.Size };
    }

    public void ReadSamples(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"samples [{start}, {start + count}) outside [0, {Count})");
        int size = this.SampleSize();
        if (_bytes is not null) { Pixels.ToFloats(_bytes.AsSpan(start * size, count * size), destination); return; }
        if (_floats is not null) { _floats.AsSpan(start * size, count * size).CopyTo(destination); return; }
        lock (_gate)
        {
            // Read in order; going back starts a new cursor (the teacher only ever moves forward).
            if (_rows is null || start < _next) { _rows?.Dispose(); _rows = new ColumnRows(_view, _featureColumn, null); _next = 0; }
            for (; _next < start; _next++) Advance();
            for (int i = 0; i < count; i++, _next++)
            {
                Advance();
                _rows.Sample(destination.Slice(i * size, size));
            }
        }
    }

    private void Advance()
    {
        if (!_rows!.Next()) throw new DistillException($"column '{_featureColumn}' has fewer rows than when it was scanned ({Count:N0})");
    }

    public int GetLabel(int index) =>
        _labels is null ? throw new InvalidOperationException($"{Name} has no labels") : _labels[index];

    public void Dispose()
    {
        lock (_gate) { _rows?.Dispose(); _rows = null; }
    }

    /// <summary>Samples kept in memory: bytes while every sample is byte-valued, floats from the first one that is not.</summary>
    private sealed class SampleStore(int size, long expectedRows)
    {
        private int _rows;
        public byte[]? Bytes { get; private set; } = new byte[checked(size * (int)Math.Max(expectedRows, 16))];
        public float[]? Floats { get; private set; }

        public void Add(ReadOnlySpan<float> sample, byte[]? asBytes)
        {
            if (asBytes is not null && Bytes is not null)
            {
                if ((long)(_rows + 1) * size > Bytes.Length) Bytes = Grow(Bytes);
                asBytes.CopyTo(Bytes.AsSpan(_rows * size));
            }
            else
            {
                if (Floats is null)
                {
                    Floats = new float[checked(Math.Max(Bytes!.Length, (_rows + 1) * size))];
                    Pixels.ToFloats(Bytes.AsSpan(0, _rows * size), Floats);
                    Bytes = null;
                }
                if ((long)(_rows + 1) * size > Floats.Length) Floats = Grow(Floats);
                sample.CopyTo(Floats.AsSpan(_rows * size));
            }
            _rows++;
        }

        private static T[] Grow<T>(T[] a)
        {
            var b = new T[checked(Math.Min((long)a.Length * 2, Array.MaxLength))];
            a.CopyTo(b, 0);
            return b;
        }
    }
}
