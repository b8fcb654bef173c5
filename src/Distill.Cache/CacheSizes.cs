using Distill.Data;
using Parquet;

namespace Distill.Cache;

/// <summary>
/// Where a cache's bytes go: the pages of each stored output (all its codec's fields), of the row columns (index,
/// label, views), and the rest of the files (footers: schema, metadata, checksums), over <see cref="Rows"/> rows.
/// </summary>
public sealed record CacheSizes(long Rows, long FileBytes, IReadOnlyList<(string Column, string Encoding, long Bytes)> Columns)
{
    /// <summary>File bytes not in any column's pages.</summary>
    public long FooterBytes => FileBytes - Columns.Sum(c => c.Bytes);

    public double PerRow(long bytes) => Rows == 0 ? 0 : (double)bytes / Rows;

    /// <summary>The sizes of the part files <paramref name="files"/> (footers only are read).</summary>
    public static async Task<CacheSizes> OfAsync(IReadOnlyList<string> files, CancellationToken ct = default)
    {
        var pages = new Dictionary<string, long>();
        long fileBytes = 0, rows = 0;
        CacheMetadata? meta = null;
        foreach (var file in files)
        {
            try
            {
                using var stream = File.OpenRead(file);
                await using var reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: false, ct);
                meta ??= CacheMetadata.FromKeyValues(reader.CustomMetadata, file);
                foreach (var rg in reader.Metadata!.RowGroups)
                {
                    rows += rg.NumRows;
                    foreach (var chunk in rg.Columns)
                        if (chunk.MetaData is { } m)
                            pages[m.PathInSchema[0]] = pages.GetValueOrDefault(m.PathInSchema[0]) + m.TotalCompressedSize;
                }
                fileBytes += stream.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            { throw new DistillException($"cannot read {file}: {e.Message}", e); }
        }
        var columns = new List<(string, string, long)>();
        if (meta is null) return new CacheSizes(0, 0, columns);
        long Sum(IEnumerable<string> names) => names.Sum(n => pages.GetValueOrDefault(n));
        columns.Add((CacheSchema.IndexColumn, "int64", Sum(new[] { CacheSchema.IndexColumn })));
        if (meta.HasLabels) columns.Add((CacheSchema.LabelColumn, "int32", Sum(new[] { CacheSchema.LabelColumn })));
        if (meta.HasViews)
            columns.Add(("views", "int32 ×4", Sum(new[] { CacheSchema.ViewColumn, CacheSchema.CropXColumn, CacheSchema.CropYColumn, CacheSchema.FlipColumn })));
        foreach (var (o, codec) in meta.Outputs.Zip(meta.ColumnCodecs))
            columns.Add((o.Column, codec.Describe(o), Sum(codec.Fields(o).Select(f => f.Name))));
        return new CacheSizes(rows, fileBytes, columns);
    }
}
