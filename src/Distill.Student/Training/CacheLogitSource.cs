using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>The Parquet logits cache (src/Distill.Cache) as a <see cref="ILogitSource"/>.</summary>
public sealed class CacheLogitSource : ILogitSource
{
    private readonly int[] _momentColumns;   // outputs whose codec stores per-row mean/std of an incomplete row

    public CacheLogitSource(LogitCacheReader reader)
    {
        Reader = reader;
        Augmentation = Augmentation.Parse(reader.Metadata.Augment);
        Columns = ColumnsOf(reader.Metadata);
        _momentColumns = MomentColumns(reader.Metadata);
    }

    /// <summary>
    /// The cache's columns, from its metadata (<c>distill.outputs</c>, each with what its codec stores): the first is
    /// <c>logits</c>; then, for each top-K column that keeps each row's mean and std, its <see cref="TeacherColumn.MomentsOf"/>
    /// companion ([2] per row).
    /// </summary>
    public static IReadOnlyList<TeacherColumn> ColumnsOf(CacheMetadata m)
    {
        if (m.Outputs.Count == 0) return new[] { new TeacherColumn("logits", "logits", new[] { m.ClassCount }) };
        var columns = m.Outputs.Zip(m.ColumnCodecs)
            .Select((oc, i) => new TeacherColumn(i == 0 ? "logits" : oc.First.Column, oc.First.Name, oc.First.Shape, oc.Second.Content(oc.First)))
            .ToList();
        foreach (var j in MomentColumns(m))
            columns.Add(new TeacherColumn(TeacherColumn.MomentsOf(columns[j].Name), TeacherColumn.MomentsOf(columns[j].Output), new[] { 2 }));
        return columns;
    }

    private static int[] MomentColumns(CacheMetadata m) => m.Outputs.Zip(m.ColumnCodecs)
        .Select((oc, i) => (Content: oc.Second.Content(oc.First), i)).Where(x => x.Content.Moments && !x.Content.Complete).Select(x => x.i).ToArray();

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
        var extra = b.Extra.ToList();
        foreach (var j in _momentColumns)
        {
            var t = (TopKRows)b.EncodedColumn(j)!;
            var moments = new float[2 * b.Rows];
            for (int r = 0; r < b.Rows; r++) (moments[2 * r], moments[2 * r + 1]) = (t.Mean![r], t.Std![r]);
            extra.Add(moments);
        }
        return new LogitRows(b.Rows, b.Index, b.Labels, b.Logits, views) { Extra = extra };
    }
}
