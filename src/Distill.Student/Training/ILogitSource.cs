using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// Where the teacher's cached logits come from: the Parquet cache (<see cref="CacheLogitSource"/>) or memory
/// (<see cref="InMemoryLogitSource"/>). Rows carry the dataset <c>index</c> they belong to.
/// </summary>
public interface ILogitSource
{
    int ClassCount { get; }
    /// <summary>How cached views were augmented; rows then carry their <see cref="LogitRows.Views"/> parameters.</summary>
    Augmentation Augmentation => Augmentation.None;
    long RowCount { get; }
    int RowGroupCount { get; }
    Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default);
}

/// <summary>
/// A row group: <c>Logits</c> is row-major Rows × C; <c>Views</c> (when views are cached) the parameters of the
/// augmented view each row's teacher output was computed on.
/// </summary>
public sealed record LogitRows(int Rows, long[] Index, int[]? Labels, float[] Logits, ViewParams[]? Views = null);

public sealed class InMemoryLogitSource : ILogitSource
{
    private readonly long[] _index;
    private readonly int[]? _labels;
    private readonly float[] _logits;
    private readonly int _groupRows;

    public InMemoryLogitSource(long[] index, int[]? labels, float[] logits, int classCount, int groupRows = 2048)
    {
        if (logits.Length != (long)index.Length * classCount) throw new ArgumentException("logits must be rows × classes");
        (_index, _labels, _logits, ClassCount, _groupRows) = (index, labels, logits, classCount, groupRows);
    }

    public int ClassCount { get; }
    public long RowCount => _index.Length;
    public int RowGroupCount => (_index.Length + _groupRows - 1) / _groupRows;

    public Task<LogitRows> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        int start = group * _groupRows, n = Math.Min(_groupRows, _index.Length - start);
        return Task.FromResult(new LogitRows(n, _index[start..(start + n)], _labels?[start..(start + n)],
            _logits[(start * ClassCount)..((start + n) * ClassCount)]));
    }
}
