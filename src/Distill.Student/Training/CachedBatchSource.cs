using System.Threading.Channels;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// One training batch on the host: inputs (preprocessed), the teacher columns the objective uses (in
/// <see cref="CachedBatchSource.Columns"/> order, Rows × width each), labels (−1 where there are none) and the dataset
/// sample of each row (for targets beyond labels: masks, boxes), row-major.
/// </summary>
public sealed record HostBatch(int Rows, float[] Inputs, float[][] Teacher, long[] Labels, int[] Samples)
{
    /// <summary>The first loaded column (the logits when the objective uses them).</summary>
    public float[] TeacherLogits => Teacher[0];
}

/// <summary>
/// Joins the cached teacher logits with the dataset by <c>index</c> and yields shuffled batches.
/// When the cache fits <c>memoryBudgetBytes</c> it is loaded once and shuffled fully each epoch (like a PyTorch
/// DataLoader with shuffle=True, drop_last=False). Otherwise it is streamed: row groups in a random order, read
/// by a background task (bounded prefetch), through a shuffle buffer sized to the budget, so memory stays bounded
/// whatever the cache size. The dataset is preloaded (preprocessed) when it fits the budget too, else samples are
/// read per batch. The order depends only on (seed, epoch), so a resumed run sees the same batches.
/// A cache of augmented views has one row per (sample, view): each row's input is its sample with the row's stored
/// crop/flip replayed (after preprocessing, padding with the preprocessed value of 0, which equals the teacher side's
/// zero-padding before it), so the student sees exactly the view the teacher's logits belong to.
/// Only the columns the objective names are held (none for CE alone); the first stays the <c>logits</c> by default.
/// </summary>
public sealed class CachedBatchSource
{
    private readonly ILogitSource _source;
    private readonly IDataset _dataset;
    private readonly Preprocessing _prep;
    private readonly int _batch, _seed, _sampleSize, _channels, _classes;
    private readonly long _budget;
    private readonly int[] _columns, _widths;   // positions in the source's columns, floats per row of each
    private float[]? _allInputs;              // N × D, preprocessed, when the dataset fits
    private long[]? _allIndex; private float[][]? _allColumns; private int[]? _allLabels;   // when the cache fits
    private ViewParams[]? _allViews;
    private readonly Augmentation _augment;
    private readonly float[] _fill, _scratch;
    private readonly int _rowBytes;   // one cached row in memory: logits, index, label (+ view parameters)

    /// <param name="columns">Teacher columns to load, by name (default: <c>logits</c>); empty for none.</param>
    public CachedBatchSource(ILogitSource source, IDataset dataset, Preprocessing preprocessing, int batch, int seed, long memoryBudgetBytes,
        IReadOnlyList<string>? columns = null)
    {
        (_source, _dataset, _prep, _batch, _seed, _budget) = (source, dataset, preprocessing, batch, seed, memoryBudgetBytes);
        _sampleSize = dataset.SampleSize();
        _channels = dataset.SampleShape.Length == 3 ? dataset.SampleShape[0] : 1;
        _classes = source.ClassCount;
        if (source.RowCount == 0) throw new DistillException("the cache holds no rows");
        _augment = source.Augmentation;
        _fill = preprocessing.ValueOfZero(_channels);
        _scratch = new float[_sampleSize];
        var all = source.Columns;
        Columns = (columns ?? new[] { "logits" }).Select(name => all.FirstOrDefault(c => c.Name == name)
            ?? throw new DistillException($"the cache has no column '{name}' (it has: {string.Join(", ", all.Select(c => c.Name))})")).ToList();
        _columns = Columns.Select(c => all.ToList().IndexOf(c)).ToArray();
        _widths = Columns.Select(c => c.Width).ToArray();
        _rowBytes = _widths.Sum() * 4 + 12 + (_augment.IsNone ? 0 : 12);
    }

    /// <summary>The loaded teacher columns, in <see cref="HostBatch.Teacher"/> order.</summary>
    public IReadOnlyList<TeacherColumn> Columns { get; }

    public long RowCount => _source.RowCount;
    public int ClassCount => _classes;
    public int SampleSize => _sampleSize;
    public long BatchesPerEpoch => (RowCount + _batch - 1) / _batch;
    public bool FullyShuffled => _allColumns is not null;
    public bool DatasetPreloaded => _allInputs is not null;

    /// <summary>Loads what fits the budget (cache and/or dataset). Call once before the first epoch.</summary>
    public async Task PrepareAsync(CancellationToken ct = default)
    {
        long cacheBytes = _source.RowCount * _rowBytes;
        long dataBytes = (long)_dataset.Count * _sampleSize * 4;
        bool cacheFits = cacheBytes <= _budget;
        if (cacheFits)
        {
            int n = checked((int)_source.RowCount);
            _allIndex = new long[n]; int[]? labels = null;
            var allColumns = _widths.Select(w => new float[(long)n * w]).ToArray();
            int at = 0;
            for (int g = 0; g < _source.RowGroupCount; g++)
            {
                var rows = await _source.ReadRowGroupAsync(g, ct);
                rows.Index.CopyTo(_allIndex, at);
                for (int j = 0; j < _columns.Length; j++)
                    rows.Column(_columns[j]).AsSpan(0, rows.Rows * _widths[j]).CopyTo(allColumns[j].AsSpan(at * _widths[j]));
                if (rows.Labels is not null) { labels ??= new int[n]; rows.Labels.CopyTo(labels, at); }
                if (rows.Views is not null) { _allViews ??= new ViewParams[n]; rows.Views.CopyTo(_allViews, at); }
                at += rows.Rows;
            }
            _allLabels = labels;
            _allColumns = allColumns;
            CheckIndex(_allIndex);
        }
        if (dataBytes <= (cacheFits ? _budget - cacheBytes : _budget / 2))
        {
            _allInputs = new float[(long)_dataset.Count * _sampleSize];
            const int chunk = 4096;
            for (int s = 0; s < _dataset.Count; s += chunk)
            {
                int n = Math.Min(chunk, _dataset.Count - s);
                var span = _allInputs.AsSpan(s * _sampleSize, n * _sampleSize);
                _dataset.ReadSamples(s, n, span);
                for (int i = 0; i < n; i++) _prep.Apply(span.Slice(i * _sampleSize, _sampleSize), _channels);
            }
        }
    }

    private void CheckIndex(long[] index)
    {
        foreach (var i in index)
            if (i < 0 || i >= _dataset.Count)
                throw new DistillException($"the cache refers to sample {i}, the dataset {_dataset.Name} {_dataset.Split} has {_dataset.Count}");
    }

    /// <summary>The batches of one epoch (epoch counts from 1).</summary>
    public IEnumerable<HostBatch> Epoch(int epoch, CancellationToken ct = default)
    {
        var rng = new Random(unchecked(_seed * 1_000_003 + epoch));
        return _allColumns is not null ? FullEpoch(rng) : StreamEpoch(rng, ct);
    }

    private IEnumerable<HostBatch> FullEpoch(Random rng)
    {
        int n = _allIndex!.Length;
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        rng.Shuffle(perm);
        for (int start = 0; start < n; start += _batch)
        {
            int rows = Math.Min(_batch, n - start);
            var b = NewBatch(rows);
            for (int r = 0; r < rows; r++)
            {
                int src = perm[start + r];
                for (int j = 0; j < _widths.Length; j++)
                {
                    int w = _widths[j];
                    _allColumns![j].AsSpan(src * w, w).CopyTo(b.Teacher[j].AsSpan(r * w));
                }
                Fill(b, r, _allIndex[src], _allLabels?[src], _allViews?[src]);
            }
            yield return b;
        }
    }

    private IEnumerable<HostBatch> StreamEpoch(Random rng, CancellationToken ct)
    {
        int groups = _source.RowGroupCount;
        var order = Enumerable.Range(0, groups).ToArray();
        rng.Shuffle(order);
        var channel = Channel.CreateBounded<LogitRows>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var g in order) await channel.Writer.WriteAsync(await _source.ReadRowGroupAsync(g, stop.Token), stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception e) { channel.Writer.Complete(e); }
        });
        try
        {
            int capacity = (int)Math.Clamp(_budget / 4 / _rowBytes, _batch, 1 << 24);
            var bufColumns = _widths.Select(w => new float[(long)capacity * w]).ToArray();
            var bufIndex = new long[capacity];
            var bufLabel = new int[capacity];
            // Only an augmented cache's rows carry view parameters (the reader gives them for every row).
            bool views = !_augment.IsNone;
            var bufViews = views ? new ViewParams[capacity] : Array.Empty<ViewParams>();
            int filled = 0;
            HostBatch? batch = null; int inBatch = 0;
            long remaining = _source.RowCount;

            HostBatch? Emit(int slot)
            {
                batch ??= NewBatch((int)Math.Min(_batch, remaining));
                for (int j = 0; j < _widths.Length; j++)
                {
                    int w = _widths[j];
                    bufColumns[j].AsSpan(slot * w, w).CopyTo(batch.Teacher[j].AsSpan(inBatch * w));
                }
                Fill(batch, inBatch, bufIndex[slot], bufLabel[slot] >= 0 ? bufLabel[slot] : null, views ? bufViews[slot] : null);
                inBatch++; remaining--;
                if (inBatch < batch.Rows) return null;
                var done = batch; batch = null; inBatch = 0;
                return done;
            }

            while (true)
            {
                LogitRows rows;
                var read = channel.Reader.ReadAsync(ct).AsTask();
                try { rows = read.GetAwaiter().GetResult(); }
                catch (ChannelClosedException e) when (e.InnerException is null) { break; }
                catch (ChannelClosedException e) { throw e.InnerException!; }
                // The reader allocates fresh arrays per row group (≈ 24 MB at 2048 × 1000 logits); collect the previous
                // ones now rather than letting the large-object heap grow, so memory stays bounded.
                if (rows.Logits.Length + rows.Extra.Sum(e => (long)e.Length) >= 1 << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
                for (int r = 0; r < rows.Rows; r++)
                {
                    long idx = rows.Index[r];
                    if (idx < 0 || idx >= _dataset.Count)
                        throw new DistillException($"the cache refers to sample {idx}, the dataset {_dataset.Name} {_dataset.Split} has {_dataset.Count}");
                    int slot;
                    HostBatch? ready = null;
                    if (filled < capacity) slot = filled++;
                    else { slot = rng.Next(capacity); ready = Emit(slot); }
                    for (int j = 0; j < _widths.Length; j++)
                    {
                        int w = _widths[j];
                        rows.Column(_columns[j]).AsSpan(r * w, w).CopyTo(bufColumns[j].AsSpan(slot * w));
                    }
                    bufIndex[slot] = idx;
                    bufLabel[slot] = rows.Labels?[r] ?? -1;
                    if (views) bufViews[slot] = rows.Views![r];
                    if (ready is not null) yield return ready;
                }
            }
            // Drain the buffer in random order.
            for (int left = filled; left > 0; left--)
            {
                int pick = rng.Next(left);
                var ready = Emit(pick);
                // Move the last live slot into the emptied one.
                int last = left - 1;
                if (pick != last)
                {
                    for (int j = 0; j < _widths.Length; j++)
                    {
                        int w = _widths[j];
                        bufColumns[j].AsSpan(last * w, w).CopyTo(bufColumns[j].AsSpan(pick * w));
                    }
                    bufIndex[pick] = bufIndex[last]; bufLabel[pick] = bufLabel[last];
                    if (views) bufViews[pick] = bufViews[last];
                }
                if (ready is not null) yield return ready;
            }
        }
        finally
        {
            stop.Cancel();
            try { reader.Wait(); } catch { /* cancelled or already reported */ }
        }
    }

    /// <summary>
    /// When true, full batches share one set of arrays (valid until the next batch is requested): no per-batch garbage.
    /// The trainer copies each batch into tensors at once, so it sets this.
    /// </summary>
    public bool ReuseBuffers { get; set; }
    private HostBatch? _shared;

    private HostBatch NewBatch(int rows)
    {
        if (ReuseBuffers && rows == _batch) return _shared ??= Allocate(rows);
        return Allocate(rows);
    }

    private HostBatch Allocate(int rows) =>
        new(rows, new float[rows * _sampleSize], _widths.Select(w => new float[rows * w]).ToArray(), new long[rows], new int[rows]);

    private void Fill(HostBatch b, int r, long index, int? label, ViewParams? view)
    {
        var dst = b.Inputs.AsSpan(r * _sampleSize, _sampleSize);
        int i = (int)index;
        if (_allInputs is not null) _allInputs.AsSpan(i * _sampleSize, _sampleSize).CopyTo(dst);
        else
        {
            _dataset.ReadSamples(i, 1, dst);
            _prep.Apply(dst, _channels);
        }
        if (view is ViewParams p && !_augment.IsNone)
        {
            dst.CopyTo(_scratch);
            _augment.Apply(_scratch, dst, _dataset.SampleShape, p, _fill);
        }
        b.Samples[r] = i;
        // Without labels (scenes: masks and boxes instead) the objective has no label loss: Distiller refuses one.
        b.Labels[r] = label ?? (_dataset.HasLabels ? _dataset.GetLabel(i) : -1);
        // The join by index must pair a row with its own sample: an edited or shifted cache shows here first.
        if (label is int l && _dataset.HasLabels && _dataset.GetLabel(i) != l)
            throw new DistillException($"the cache's label for sample {i} is {l}, the dataset's ({_dataset.Name} {_dataset.Split}) is {_dataset.GetLabel(i)}: the cache does not match this data");
    }
}
