using Distill.Cache;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.MLNet.Cache;

/// <summary>
/// Checks that a cache's rows cover its samples in order, each exactly once per view: row r holds sample r / V and
/// view r % V (V = views per sample), which is how precompute-logits writes every cache, sharded or resumed. Reads
/// only the <c>index</c> (and <c>view</c>) column of each part, 8–12 bytes per row, so the check costs a small
/// fraction of a pass over the logits.
/// </summary>
/// <remarks>The reader does not check coverage itself yet; when it does, this check can go.</remarks>
internal static class CacheCoverage
{
    public static void Check(LogitCacheReader reader)
    {
        var m = reader.Metadata;
        int views = m.Views;
        if (reader.RowCount % views != 0)
            throw new DistillException($"cache {reader.Directory} holds {reader.RowCount:N0} rows, not a whole number of samples × {views} views");
        if (reader.RowCount / views > m.DatasetCount)
            throw new DistillException($"cache {reader.Directory} holds {reader.RowCount / views:N0} samples but was made from a split of {m.DatasetCount:N0}");
        long row = 0;
        foreach (var file in reader.Files)
            row = CheckPartAsync(file, row, views, m.HasViews).GetAwaiter().GetResult();
    }

    private static async Task<long> CheckPartAsync(string file, long row, int views, bool hasViews)
    {
        await using var stream = File.OpenRead(file);
        await using var parquet = await ParquetReader.CreateAsync(stream);
        var fields = parquet.Schema.GetDataFields();
        var indexField = fields.First(f => f.Name == CacheSchema.IndexColumn);
        var viewField = hasViews ? fields.First(f => f.Name == CacheSchema.ViewColumn) : null;
        for (int g = 0; g < parquet.RowGroupCount; g++)
        {
            using var group = parquet.OpenRowGroupReader(g);
            int rows = checked((int)parquet.RowGroups[g].RowCount);
            var index = new long[rows];
            await group.ReadRawAsync<long>(indexField, index, null, null);
            int[]? view = null;
            if (viewField is not null) await group.ReadRawAsync<int>(viewField, view = new int[rows], null, null);
            for (int i = 0; i < index.Length; i++, row++)
            {
                if (index[i] != row / views)
                    throw new DistillException($"{file}: row {row:N0} holds sample {index[i]:N0}, expected {row / views:N0} (the cache has a gap or a duplicate)");
                if (view is not null && view[i] != row % views)
                    throw new DistillException($"{file}: row {row:N0} holds view {view[i]} of sample {index[i]:N0}, expected view {row % views}");
            }
        }
        return row;
    }
}
