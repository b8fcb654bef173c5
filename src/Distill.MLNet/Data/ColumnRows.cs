using Distill.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Data;

/// <summary>
/// Reads an IDataView row by row as the toolkit sees a sample: the feature column (a fixed-size Single or Byte vector)
/// as floats and the label column (a key, or a whole number in an integer or floating-point column) as a class index.
/// </summary>
internal sealed class ColumnRows : IDisposable
{
    private readonly DataViewRowCursor _cursor;
    private readonly ValueGetter<VBuffer<float>>? _floats;
    private readonly ValueGetter<VBuffer<byte>>? _bytes;
    private readonly Func<int>? _label;
    private readonly string _labelName;
    private VBuffer<float> _f;
    private VBuffer<byte> _b;

    /// <summary>Floats per row.</summary>
    public int Size { get; }
    public bool HasLabels => _label is not null;
    /// <summary>True when the feature column holds bytes (every value is then a whole number in 0..255).</summary>
    public bool ByteValued => _bytes is not null;
    public long Row => _cursor.Position;

    public ColumnRows(IDataView view, string featureColumn, string? labelColumn)
    {
        var features = view.Schema.GetColumnOrNull(featureColumn)
            ?? throw new DistillException($"the data has no column '{featureColumn}' (columns: {string.Join(", ", view.Schema.Select(c => c.Name))})");
        if (features.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single && vector.ItemType != NumberDataViewType.Byte)
            throw new DistillException($"column '{featureColumn}' is {features.Type}; samples must be a fixed-size vector of Single or Byte");
        Size = vector.Size;
        DataViewSchema.Column? label = labelColumn is null ? null : view.Schema.GetColumnOrNull(labelColumn)
            ?? throw new DistillException($"the data has no label column '{labelColumn}' (columns: {string.Join(", ", view.Schema.Select(c => c.Name))}; pass null for data without labels)");
        _labelName = labelColumn ?? "";
        _cursor = view.GetRowCursor(label is { } l ? new[] { features, l } : new[] { features });
        if (vector.ItemType == NumberDataViewType.Single) _floats = _cursor.GetGetter<VBuffer<float>>(features);
        else _bytes = _cursor.GetGetter<VBuffer<byte>>(features);
        if (label is { } lc) _label = LabelGetter(lc);
    }

    /// <summary>Moves to the next row; false at the end.</summary>
    public bool Next() => _cursor.MoveNext();

    /// <summary>The current row's sample, <see cref="Size"/> floats.</summary>
    public void Sample(Span<float> destination)
    {
        if (_floats is not null)
        {
            _floats(ref _f);
            _f.CopyTo(destination);
        }
        else
        {
            _bytes!(ref _b);
            if (_b.IsDense) Pixels.ToFloats(_b.GetValues(), destination);
            else { destination.Clear(); foreach (var (i, v) in _b.Items()) destination[i] = v; }
        }
    }

    /// <summary>The current row's class index.</summary>
    public int Label() => _label!();

    private Func<int> LabelGetter(DataViewSchema.Column column)
    {
        string Where() => $"column '{_labelName}' row {_cursor.Position:N0}";
        int Whole(double v) => double.IsNaN(v) ? throw new DistillException($"{Where()} has no label")
            : v >= 0 && v <= int.MaxValue && v == Math.Floor(v) ? (int)v
            : throw new DistillException($"{Where()} holds {v}, not a class index (a whole number ≥ 0)");
        switch (column.Type)
        {
            case KeyDataViewType { RawType: var raw } when raw == typeof(uint):
            {
                var get = _cursor.GetGetter<uint>(column);
                uint key = 0;
                return () => { get(ref key); return key == 0 ? throw new DistillException($"{Where()} has no label (missing key)") : (int)(key - 1); };
            }
            case var t when t == NumberDataViewType.Single:
            {
                var get = _cursor.GetGetter<float>(column);
                float v = 0;
                return () => { get(ref v); return Whole(v); };
            }
            case var t when t == NumberDataViewType.Double:
            {
                var get = _cursor.GetGetter<double>(column);
                double v = 0;
                return () => { get(ref v); return Whole(v); };
            }
            case var t when t == NumberDataViewType.Int32:
            {
                var get = _cursor.GetGetter<int>(column);
                int v = 0;
                return () => { get(ref v); return Whole(v); };
            }
            case var t when t == NumberDataViewType.Int64:
            {
                var get = _cursor.GetGetter<long>(column);
                long v = 0;
                return () => { get(ref v); return Whole(v); };
            }
            case var t when t == NumberDataViewType.UInt32:
            {
                var get = _cursor.GetGetter<uint>(column);
                uint v = 0;
                return () => { get(ref v); return Whole(v); };
            }
            default:
                throw new DistillException($"label column '{column.Name}' is {column.Type}; expected a key or a number");
        }
    }

    public void Dispose() => _cursor.Dispose();
}
