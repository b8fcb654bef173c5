using Distill.Cache;

namespace Distill.Student.Training;

/// <summary>The Parquet logits cache (src/Distill.Cache) as a <see cref="ILogitSource"/>.</summary>
public sealed class CacheLogitSource : ILogitSource
{
    public CacheLogitSource(LogitCacheReader reader) => Reader = reader;

    public LogitCacheReader Reader { get; }
    public int ClassCount => Reader.Metadata.ClassCount;
    public long RowCount => Reader.RowCount;
    public int RowGroupCount => Reader.RowGroupCount;

    public async Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        var b = await Reader.ReadRowGroupAsync(group, ct);
        return new LogitRows(b.Rows, b.Index, b.Labels, b.Logits);
    }
}
