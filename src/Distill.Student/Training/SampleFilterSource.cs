namespace Distill.Student.Training;

/// <summary>
/// A logit source without the rows of some samples (held out for validation, or beyond <c>--limit</c>): rows whose
/// dataset index is not kept are dropped as row groups are read. <paramref name="rowCount"/> is the number of rows
/// kept, known from the cache's coverage (every sample of its range is there exactly once per view).
/// </summary>
public sealed class SampleFilterSource(ILogitSource inner, bool[] kept, long rowCount) : ILogitSource
{
    public int ClassCount => inner.ClassCount;
    public Distill.Data.Augmentation Augmentation => inner.Augmentation;
    public IReadOnlyList<TeacherColumn> Columns => inner.Columns;
    public long RowCount => rowCount;
    public int RowGroupCount => inner.RowGroupCount;

    private bool Keeps(long index) => index >= 0 && index < kept.Length && kept[index];

    public async Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        var rows = await inner.ReadRowGroupAsync(group, ct);
        var keep = Enumerable.Range(0, rows.Rows).Where(r => Keeps(rows.Index[r])).ToArray();
        if (keep.Length == rows.Rows) return rows;
        var widths = Columns.Select(c => c.Width).ToArray();
        float[] Pick(float[] values, int width)
        {
            var picked = new float[(long)keep.Length * width];
            for (int k = 0; k < keep.Length; k++) values.AsSpan(keep[k] * width, width).CopyTo(picked.AsSpan(k * width));
            return picked;
        }
        return new LogitRows(keep.Length, keep.Select(r => rows.Index[r]).ToArray(), rows.Labels is { } l ? keep.Select(r => l[r]).ToArray() : null,
            Pick(rows.Logits, widths[0]), rows.Views is { } v ? keep.Select(r => v[r]).ToArray() : null)
        {
            Extra = rows.Extra.Select((e, j) => Pick(e, widths[j + 1])).ToArray(),
        };
    }
}
