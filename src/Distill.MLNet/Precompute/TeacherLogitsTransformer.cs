using Distill.Data;
using Distill.MLNet.Cache;
using Distill.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Precompute;

/// <summary>
/// A teacher's cache, fitted by <see cref="PrecomputeTeacherLogitsEstimator"/>. <see cref="Transform"/> appends the
/// cached outputs (<c>logits</c> and any other) to the data they were computed from, row by row; other data is refused
/// (its fingerprint is checked), as is a cache of only some rows (<c>Limit</c>). Not saved with a model: it is a
/// data-preparation step, and the cache it wrote is the thing to keep.
/// </summary>
public sealed class TeacherLogitsTransformer : ITransformer
{
    private readonly IDataView _fitted;
    private readonly PrecomputeTeacherLogitsOptions _options;

    /// <summary>The cache written by Fit, as an IDataView (what <c>LoadFromLogitCache</c> gives).</summary>
    public LogitCacheDataView Cache { get; }

    internal TeacherLogitsTransformer(LogitCacheDataView cache, IDataView fitted, PrecomputeTeacherLogitsOptions options)
    {
        (Cache, _fitted, _options) = (cache, fitted, options);
    }

    public bool IsRowToRowMapper => false;
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("the teacher's cached outputs are joined to whole data views, not mapped row by row");

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => CacheJoinDataView.JoinedSchema(inputSchema, Cache);

    public IDataView Transform(IDataView input)
    {
        long? rows = input.GetRowCount();
        if (Cache.RowCount != Cache.Metadata.DatasetCount || Cache.Metadata.Views != 1)
            throw new DistillException($"cache {Cache.Directory} holds {Cache.RowCount:N0} rows for {Cache.Metadata.DatasetCount:N0} samples; only a cache of every row, one view each, can be joined to the data (read it with LoadFromLogitCache)");
        if (!ReferenceEquals(input, _fitted))
        {
            var (dataset, owned) = DatasetOf.Resolve(input, _options.InputColumnName, _options.LabelColumnName,
                Cache.Metadata.Split, Cache.Metadata.SampleShape);
            using (owned)
            {
                var m = Cache.Metadata;
                if (dataset.Fingerprint != m.Fingerprint || dataset.Count != m.DatasetCount)
                    throw new DistillException($"the data ({dataset.Count:N0} rows, fingerprint {dataset.Fingerprint[..12]}…) is not what cache {Cache.Directory} was made from ({m.DatasetCount:N0} rows, fingerprint {m.Fingerprint[..12]}…)");
            }
        }
        else if (rows is long n && n != Cache.RowCount)
            throw new DistillException($"the data has {n:N0} rows, cache {Cache.Directory} {Cache.RowCount:N0}");
        return new CacheJoinDataView(input, Cache);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("PrecomputeTeacherLogits is a data-preparation step and is not saved with a model; keep its cache directory and read it with LoadFromLogitCache");
}
