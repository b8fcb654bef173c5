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
        Columns = ColumnsOf(reader.Metadata);
    }

    /// <summary>The cache's columns, from its metadata (<c>distill.outputs</c>): the first is <c>logits</c>.</summary>
    public static IReadOnlyList<TeacherColumn> ColumnsOf(CacheMetadata m) => m.Outputs.Count == 0
        ? new[] { new TeacherColumn("logits", "logits", new[] { m.ClassCount }, m.Encoding.IsTopK) }
        : m.Outputs.Select((o, i) => new TeacherColumn(i == 0 ? "logits" : o.Column, o.Name, o.Shape, i == 0 && m.Encoding.IsTopK)).ToList();

    public Augmentation Augmentation { get; }
    public IReadOnlyList<TeacherColumn> Columns { get; }

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
        return new LogitRows(b.Rows, b.Index, b.Labels, b.Logits, views) { Extra = b.Extra };
    }
}
