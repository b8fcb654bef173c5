using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>The Parquet logits cache (src/Distill.Cache) as a <see cref="ILogitSource"/>.</summary>
public sealed class CacheLogitSource : ILogitSource
{
    public CacheLogitSource(LogitCacheReader reader)
    {
        Reader = reader;
        Augmentation = Augmentation.Parse(reader.Metadata.Augment);
    }

    public Augmentation Augmentation { get; }

    public LogitCacheReader Reader { get; }
    public int ClassCount => Reader.Metadata.ClassCount;
    public long RowCount => Reader.RowCount;
    public int RowGroupCount => Reader.RowGroupCount;

    public async Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        var b = await Reader.ReadRowGroupAsync(group, ct);
        ViewParams[]? views = null;
        if (b.CropX is not null)
        {
            views = new ViewParams[b.Rows];
            for (int r = 0; r < b.Rows; r++) views[r] = new ViewParams(b.CropX[r], b.CropY![r], b.Flip![r] == 1);
        }
        return new LogitRows(b.Rows, b.Index, b.Labels, b.Logits, views);
    }
}
