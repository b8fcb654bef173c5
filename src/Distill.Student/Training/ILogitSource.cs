using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// A teacher column of a cache: its Parquet column name, the ONNX output it holds, its per-sample shape (stored
/// flattened, row-major) and whether it is a top-K column (the reader then gives the reconstructed distribution).
/// </summary>
public sealed record TeacherColumn(string Name, string Output, int[] Shape, ColumnContent? Stored = null)
{
    public int Width => Shape.Aggregate(1, (a, b) => checked(a * b));
    public string ShapeText => $"[{string.Join(", ", Shape)}]";
    /// <summary>What the cache stores of this column (how it is encoded); dense float32 unless said.</summary>
    public ColumnContent Content => Stored ?? ColumnContent.Exact(Width);

    /// <summary>
    /// The companion column holding a top-K column's stored per-row mean and std ([2] per row), loaded only for
    /// losses that standardize (<see cref="Losses.TeacherTargets.Moments"/>).
    /// </summary>
    public static string MomentsOf(string column) => column + ".moments";
}

/// <summary>
/// Where the teacher's cached outputs come from: the Parquet cache (<see cref="CacheLogitSource"/>) or memory
/// (<see cref="InMemoryLogitSource"/>). Rows carry the dataset <c>index</c> they belong to.
/// </summary>
public interface ILogitSource
{
    int ClassCount { get; }
    /// <summary>How cached views were augmented; rows then carry their <see cref="LogitRows.Views"/> parameters.</summary>
    Augmentation Augmentation => Augmentation.None;
    /// <summary>The stored columns: <c>logits</c> first, then the extra outputs in <see cref="LogitRows.Extra"/> order.</summary>
    IReadOnlyList<TeacherColumn> Columns => new[] { new TeacherColumn("logits", "logits", new[] { ClassCount }) };
    long RowCount { get; }
    int RowGroupCount { get; }
    Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default);
}

/// <summary>
/// A row group: <c>Logits</c> is row-major Rows × C; <c>Extra</c> the other columns (Rows × width each, in
/// <see cref="ILogitSource.Columns"/> order after the first); <c>Views</c> (when views are cached) the parameters of
/// the augmented view each row's teacher output was computed on.
/// </summary>
public sealed record LogitRows(int Rows, long[] Index, int[]? Labels, float[] Logits, ViewParams[]? Views = null)
{
    public IReadOnlyList<float[]> Extra { get; init; } = Array.Empty<float[]>();

    /// <summary>Column <paramref name="column"/> of <see cref="ILogitSource.Columns"/> (0 = logits).</summary>
    public float[] Column(int column) => column == 0 ? Logits : Extra[column - 1];
}

public sealed class InMemoryLogitSource : ILogitSource
{
    private readonly long[] _index;
    private readonly int[]? _labels;
    private readonly float[] _logits;
    private readonly (TeacherColumn Column, float[] Values)[] _extra;
    private readonly int _groupRows;

    /// <param name="extra">Further columns (name, per-sample shape, rows × width values), e.g. teacher features.</param>
    public InMemoryLogitSource(long[] index, int[]? labels, float[] logits, int classCount, int groupRows = 2048,
        IReadOnlyList<(string Name, int[] Shape, float[] Values)>? extra = null)
    {
        if (logits.Length != (long)index.Length * classCount) throw new ArgumentException("logits must be rows × classes");
        (_index, _labels, _logits, ClassCount, _groupRows) = (index, labels, logits, classCount, groupRows);
        _extra = (extra ?? Array.Empty<(string, int[], float[])>()).Select(e => (new TeacherColumn(e.Name, e.Name, e.Shape), e.Values)).ToArray();
        foreach (var (c, v) in _extra)
            if (v.Length != (long)index.Length * c.Width) throw new ArgumentException($"column {c.Name} must be rows × {c.Width}");
        Columns = new[] { new TeacherColumn("logits", "logits", new[] { classCount }) }.Concat(_extra.Select(e => e.Column)).ToList();
    }

    public int ClassCount { get; }
    public IReadOnlyList<TeacherColumn> Columns { get; }
    public long RowCount => _index.Length;
    public int RowGroupCount => (_index.Length + _groupRows - 1) / _groupRows;

    public Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        int start = group * _groupRows, n = Math.Min(_groupRows, _index.Length - start);
        return Task.FromResult(new LogitRows(n, _index[start..(start + n)], _labels?[start..(start + n)],
            _logits[(start * ClassCount)..((start + n) * ClassCount)])
        {
            Extra = _extra.Select(e => e.Values[(start * e.Column.Width)..((start + n) * e.Column.Width)]).ToArray(),
        });
    }
}
