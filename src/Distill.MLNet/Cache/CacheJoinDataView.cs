using Distill.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Cache;

/// <summary>
/// Data with a cache's outputs appended row by row (row i of the data gets the cache's row i): the columns of the
/// data, then <c>logits</c> and every other stored output (an appended column hides a data column of the same name).
/// </summary>
internal sealed class CacheJoinDataView : IDataView
{
    private readonly IDataView _data;
    private readonly LogitCacheDataView _cache;
    private readonly int _firstOutput;   // the cache's first output column in its own schema

    public CacheJoinDataView(IDataView data, LogitCacheDataView cache)
    {
        (_data, _cache) = (data, cache);
        _firstOutput = cache.Schema[Distill.Cache.CacheSchema.LogitsColumn].Index;
        Schema = JoinedSchema(data.Schema, cache);
    }

    public static DataViewSchema JoinedSchema(DataViewSchema data, LogitCacheDataView cache)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(data);
        int first = cache.Schema[Distill.Cache.CacheSchema.LogitsColumn].Index;
        for (int i = first; i < cache.Schema.Count; i++)
            builder.AddColumn(cache.Schema[i].Name, cache.Schema[i].Type, cache.Schema[i].Annotations);
        return builder.ToSchema();
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => _cache.RowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int dataColumns = _data.Schema.Count;
        var data = _data.GetRowCursor(_data.Schema.Where(c => needed.Contains(c.Index)));
        var cache = _cache.GetRowCursor(_cache.Schema.Where(c => c.Index >= _firstOutput && needed.Contains(c.Index - dataColumns + _firstOutput)));
        return new Cursor(this, data, cache, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor(CacheJoinDataView view, DataViewRowCursor data, DataViewRowCursor cache, HashSet<int> needed) : DataViewRowCursor
    {
        private readonly int _dataColumns = view._data.Schema.Count;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => data.Position;
        public override long Batch => 0;
        public override ValueGetter<DataViewRowId> GetIdGetter() => data.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => needed.Contains(column.Index);

        public override bool MoveNext()
        {
            bool more = data.MoveNext();
            if (more != cache.MoveNext())
                throw new DistillException($"cache {view._cache.Directory} and the data it is joined to differ in length at row {data.Position:N0}");
            return more;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index < _dataColumns
                ? data.GetGetter<TValue>(view._data.Schema[column.Index])
                : cache.GetGetter<TValue>(view._cache.Schema[column.Index - _dataColumns + view._firstOutput]);

        protected override void Dispose(bool disposing)
        {
            if (disposing) { data.Dispose(); cache.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
