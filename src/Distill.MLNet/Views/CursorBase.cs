using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Views;

/// <summary>
/// What every cursor of this library shares: position, row id, active columns, and typed getters looked up by column
/// index. A subclass moves to the next row in <see cref="Advance"/> and registers one getter per active column.
/// </summary>
internal abstract class CursorBase : DataViewRowCursor
{
    private readonly bool[] _active;
    private readonly Delegate?[] _getters;
    private long _position = -1;

    protected CursorBase(DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        Schema = schema;
        _active = new bool[schema.Count];
        _getters = new Delegate?[schema.Count];
        foreach (var c in columnsNeeded) _active[c.Index] = true;
    }

    public override DataViewSchema Schema { get; }
    public override long Position => _position;
    public override long Batch => 0;
    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    protected bool Active(int column) => _active[column];

    /// <summary>Registers the getter of <paramref name="column"/> (only active columns need one).</summary>
    protected void Set<T>(int column, ValueGetter<T> getter) => _getters[column] = getter;

    /// <summary>Moves to the next row; false at the end.</summary>
    protected abstract bool Advance();

    public sealed override bool MoveNext()
    {
        if (!Advance()) return false;
        _position++;
        return true;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
            throw new InvalidOperationException($"column '{column.Name}' was not requested when the cursor was created");
        return _getters[column.Index] as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

    /// <summary>Copies <paramref name="values"/> into a vector value, reusing its buffer.</summary>
    protected static void Copy(ReadOnlySpan<float> values, ref VBuffer<float> dst)
    {
        var editor = VBufferEditor.Create(ref dst, values.Length);
        values.CopyTo(editor.Values);
        dst = editor.Commit();
    }
}
