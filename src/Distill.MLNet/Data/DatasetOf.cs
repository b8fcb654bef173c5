using Distill.Data;
using Microsoft.ML;

namespace Distill.MLNet.Data;

/// <summary>
/// The toolkit dataset behind an IDataView's columns: the dataset itself for a <see cref="DatasetDataView"/> read
/// through its own columns (its identity is the dataset file's), otherwise a <see cref="DataViewDataset"/> scan.
/// </summary>
internal static class DatasetOf
{
    /// <returns>The dataset, and what to dispose when done with it (null when the view owns it).</returns>
    public static (IDataset Dataset, IDisposable? Owned) Resolve(IDataView view, string featureColumn, string? labelColumn,
        string split, int[]? sampleShape = null, bool keepSamples = false)
    {
        if (view is DatasetDataView d && featureColumn == DatasetDataView.FeaturesColumn
            && labelColumn == (d.Dataset.HasLabels ? DatasetDataView.LabelColumn : null)
            && (sampleShape is null || sampleShape.SequenceEqual(d.Dataset.SampleShape)))
            return (d.Dataset, null);
        var scanned = DataViewDataset.Scan(view, featureColumn, labelColumn, split, sampleShape, keepSamples);
        return (scanned, scanned);
    }
}
