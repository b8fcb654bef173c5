using Distill.Data;
using Distill.MLNet.Views;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Data;

/// <summary>
/// A dataset split of the toolkit (any <see cref="DatasetCatalog"/> spec: fashion-mnist, idx:, npy:, cifar10:, folder:
/// ...) as an ML.NET <see cref="IDataView"/>: <c>Features</c>, the raw sample values (before preprocessing, e.g.
/// pixels 0..255) as a Single vector shaped like the sample, and <c>Label</c>, a key over the dataset's classes, when
/// the split has labels. Cursors read the samples in chunks, in order. Caches, the teacher transform and the Distill
/// trainer recognise this view and use the dataset itself, so its identity (fingerprint) is the toolkit's own.
/// </summary>
public sealed class DatasetDataView : IDataView
{
    public const string FeaturesColumn = "Features", LabelColumn = "Label";
    private const int Chunk = 256;

    public IDataset Dataset { get; }
    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => Dataset.Count;

    public DatasetDataView(IDataset dataset)
    {
        Dataset = dataset;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, dataset.SampleShape));
        if (dataset.HasLabels)
            builder.AddColumn(LabelColumn, new KeyDataViewType(typeof(uint), dataset.ClassCount ?? 1));
        Schema = builder.ToSchema();
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : CursorBase
    {
        private readonly IDataset _data;
        private readonly int _size;
        private readonly float[] _chunk;
        private readonly bool _features;
        private int _sample = -1, _chunkStart, _chunkRows;

        public Cursor(DatasetDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded) : base(view.Schema, columnsNeeded)
        {
            _data = view.Dataset;
            _size = _data.SampleSize();
            _features = Active(0);
            _chunk = _features ? new float[Chunk * _size] : Array.Empty<float>();
            Set(0, (ref VBuffer<float> v) => Copy(_chunk.AsSpan((_sample - _chunkStart) * _size, _size), ref v));
            if (_data.HasLabels) Set(1, (ref uint v) => v = (uint)_data.GetLabel(_sample) + 1);
        }

        protected override bool Advance()
        {
            if (_sample + 1 >= _data.Count) return false;
            _sample++;
            if (_features && _sample >= _chunkStart + _chunkRows)
            {
                _chunkStart = _sample;
                _chunkRows = Math.Min(Chunk, _data.Count - _sample);
                _data.ReadSamples(_chunkStart, _chunkRows, _chunk.AsSpan(0, _chunkRows * _size));
            }
            return true;
        }
    }
}
