using Distill.Cache;
using Distill.Data;
using Distill.MLNet.Views;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Cache;

/// <summary>
/// A logits cache as an ML.NET <see cref="IDataView"/> (docs/cache-format.md): <c>index</c> (Int64), <c>label</c>
/// (a key over the C classes, named by the teacher card's classes when the cache records them), the augmented-view
/// columns when present (<c>view</c>, <c>aug_crop_x</c>, <c>aug_crop_y</c>, <c>aug_flip</c>, Int32), <c>logits</c> and
/// every other stored output as fixed-size Single vectors shaped like the output. A top-k or float16 cache reads as
/// float32 logits, as the toolkit's reader gives them. Cursors stream the row groups (the next one is read while the
/// current one is consumed), so memory stays near two row groups whatever the cache size.
/// </summary>
public sealed class LogitCacheDataView : IDataView
{
    private readonly string _checksum;
    private readonly int _index, _label = -1, _firstView = -1, _logits;

    public string Directory { get; }
    public CacheMetadata Metadata { get; }
    public long RowCount { get; }
    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => RowCount;

    private LogitCacheDataView(string directory, CacheMetadata metadata, long rows, string checksum)
    {
        (Directory, Metadata, RowCount, _checksum) = (directory, metadata, rows, checksum);
        var m = metadata;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(CacheSchema.IndexColumn, NumberDataViewType.Int64);
        _index = 0;
        int next = 1;
        if (m.HasLabels)
        {
            builder.AddColumn(CacheSchema.LabelColumn, new KeyDataViewType(typeof(uint), m.ClassCount),
                SchemaAnnotations.Names(SchemaAnnotations.KeyValues, m.IsClassifier ? m.ClassNames : null));
            _label = next++;
        }
        if (m.HasViews)
        {
            foreach (var c in ViewColumns) builder.AddColumn(c, NumberDataViewType.Int32);
            _firstView = next;
            next += ViewColumns.Length;
        }
        for (int o = 0; o < m.Outputs.Count; o++)
        {
            var output = m.Outputs[o];
            var names = o == 0 && m.IsClassifier ? m.ClassNames : null;
            builder.AddColumn(output.Column, new VectorDataViewType(NumberDataViewType.Single, output.Shape),
                SchemaAnnotations.Names(SchemaAnnotations.SlotNames, names));
        }
        _logits = next;
        Schema = builder.ToSchema();
    }

    private static readonly string[] ViewColumns =
        { CacheSchema.ViewColumn, CacheSchema.CropXColumn, CacheSchema.CropYColumn, CacheSchema.FlipColumn };

    /// <summary>
    /// Opens <paramref name="directory"/> with the toolkit's reader (schema, metadata and its checksum, the parts'
    /// sample ranges covering the split exactly once) and, with <paramref name="dataFor"/>, that it was made from the data that function
    /// gives for the cache's metadata (fingerprint, split, sample count and shape). Every refusal is a
    /// <see cref="DistillException"/> naming the file.
    /// </summary>
    public static LogitCacheDataView Load(string directory, Func<CacheMetadata, IDataset>? dataFor = null)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DistillException($"cache {directory} not found (expected a directory of part-*.parquet files)");
        using var reader = LogitCacheReader.Open(directory);
        if (dataFor is not null) reader.Verify(dataFor(reader.Metadata));
        return new LogitCacheDataView(directory, reader.Metadata, reader.RowCount, reader.ContentChecksum);
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Opens the cache again for one cursor, refusing it when its content changed since it was loaded.</summary>
    private LogitCacheReader Reopen()
    {
        var reader = LogitCacheReader.Open(Directory);
        if (reader.ContentChecksum != _checksum)
        {
            reader.Dispose();
            throw new DistillException($"cache {Directory} changed after it was loaded; load it again");
        }
        return reader;
    }

    private sealed class Cursor : CursorBase
    {
        private readonly LogitCacheReader _reader;
        private readonly CacheMetadata _meta;
        private Task<LogitBatch>? _next;
        private LogitBatch? _batch;
        private int _group = -1, _row;

        public Cursor(LogitCacheDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded) : base(view.Schema, columnsNeeded)
        {
            _reader = view.Reopen();
            _meta = view.Metadata;
            Set(view._index, (ref long v) => v = _batch!.Index[_row]);
            if (view._label >= 0) Set(view._label, (ref uint v) => v = (uint)_batch!.Labels![_row] + 1);
            if (view._firstView >= 0)
            {
                Set(view._firstView, (ref int v) => v = _batch!.Views![_row]);
                Set(view._firstView + 1, (ref int v) => v = _batch!.CropX![_row]);
                Set(view._firstView + 2, (ref int v) => v = _batch!.CropY![_row]);
                Set(view._firstView + 3, (ref int v) => v = _batch!.Flip![_row]);
            }
            Set(view._logits, (ref VBuffer<float> v) => Copy(_batch!.RowLogits(_row), ref v));
            for (int o = 1; o < _meta.Outputs.Count; o++)
            {
                int extra = o - 1, width = _meta.Outputs[o].Width;
                Set(view._logits + o, (ref VBuffer<float> v) => Copy(_batch!.Extra[extra].AsSpan(_row * width, width), ref v));
            }
            if (_reader.RowGroupCount > 0) _next = _reader.ReadRowGroupAsync(0);
        }

        protected override bool Advance()
        {
            if (_batch is not null && ++_row < _batch.Rows) return true;
            while (_next is not null)
            {
                _batch = _next.GetAwaiter().GetResult();
                _group++;
                _row = 0;
                // Read ahead: the next row group decodes while this one is consumed.
                int following = _group + 1;
                _next = following < _reader.RowGroupCount ? Task.Run(() => _reader.ReadRowGroupAsync(following)) : null;
                if (_batch.Rows > 0) return true;
            }
            _batch = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try { _next?.Wait(); } catch { /* the cursor is closing; a read-ahead failure has no reader left */ }
                _reader.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
