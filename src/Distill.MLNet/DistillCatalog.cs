using Distill.Data;
using Distill.MLNet.Cache;
using Distill.MLNet.Data;
using Distill.MLNet.Precompute;
using Microsoft.ML;

namespace Distill.MLNet;

/// <summary>The toolkit in ML.NET's catalogs: <c>mlContext.Data.LoadFromLogitCache</c>, <c>LoadFromDataset</c> and
/// <c>mlContext.Transforms.PrecomputeTeacherLogits</c> (the Distill trainer is in Distill.MLNet.Training).</summary>
public static class DistillCatalog
{
    /// <summary>
    /// A logits cache (from precompute-logits or <see cref="PrecomputeTeacherLogits(TransformsCatalog, PrecomputeTeacherLogitsOptions)"/>)
    /// as an IDataView; see <see cref="LogitCacheDataView"/>. Refused on load when it is unreadable, incomplete or
    /// does not cover its samples in order.
    /// </summary>
    public static LogitCacheDataView LoadFromLogitCache(this DataOperationsCatalog catalog, string directory) =>
        LogitCacheDataView.Load(directory);

    /// <summary>
    /// As <see cref="LoadFromLogitCache(DataOperationsCatalog, string)"/>, and refused unless it was made from
    /// <paramref name="data"/> (fingerprint, sample count and shape, split for a <see cref="DatasetDataView"/>).
    /// </summary>
    /// <param name="labelColumnName">The labels, part of the data's fingerprint; null for data without labels.</param>
    public static LogitCacheDataView LoadFromLogitCache(this DataOperationsCatalog catalog, string directory, IDataView data,
        string featureColumnName = DatasetDataView.FeaturesColumn, string? labelColumnName = DatasetDataView.LabelColumn)
    {
        IDisposable? owned = null;
        try
        {
            return LogitCacheDataView.Load(directory, meta =>
            {
                (var dataset, owned) = DatasetOf.Resolve(data, featureColumnName, labelColumnName, meta.Split, meta.SampleShape);
                return dataset;
            });
        }
        finally { owned?.Dispose(); }
    }

    /// <summary>
    /// A dataset split the toolkit reads (fashion-mnist, mnist, idx:DIR, npy:FILE[,LABELS], cifar10:DIR, cifar100:DIR,
    /// folder:DIR[,...]) as an IDataView with <c>Features</c> (raw values) and <c>Label</c> (a key); see <see cref="DatasetDataView"/>.
    /// </summary>
    public static DatasetDataView LoadFromDataset(this DataOperationsCatalog catalog, string dataset, string split = "train") =>
        new(DatasetCatalog.Open(dataset, split));

    /// <summary>
    /// Runs an ONNX teacher over <paramref name="inputColumnName"/> and writes its logits cache to
    /// <paramref name="outputDirectory"/> when fitted; see <see cref="PrecomputeTeacherLogitsEstimator"/>.
    /// </summary>
    public static PrecomputeTeacherLogitsEstimator PrecomputeTeacherLogits(this TransformsCatalog catalog, string teacherPath,
        string inputColumnName, string outputDirectory, string? labelColumnName = DatasetDataView.LabelColumn) =>
        catalog.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
        {
            TeacherPath = teacherPath, OutputDirectory = outputDirectory, InputColumnName = inputColumnName, LabelColumnName = labelColumnName,
        });

    /// <summary>As above, with every setting of precompute-logits (device, batch, encoding, limit, ...).</summary>
    public static PrecomputeTeacherLogitsEstimator PrecomputeTeacherLogits(this TransformsCatalog catalog, PrecomputeTeacherLogitsOptions options) =>
        new(MLNetInternals.EnvironmentOf(catalog), options);
}
