using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Streams one part of a generation (see <see cref="CacheLayout"/>) so that a killed run can be resumed: rows go into
/// <c>part-NNNNN.parquet.tmp</c>, renamed when complete, and each row group is also written as its own small,
/// complete file <c>.part-NNNNN.work/seg-ROW.parquet</c> (temporary name, then rename). Resuming keeps the contiguous
/// segments from the part's first row that read back intact (checksums, rows), copies them into the new part file
/// and continues after them. <see cref="CacheWriteSession"/> decides whether segments are kept; this class only
/// writes. Rows are numbered sample × views + view; the part covers <see cref="CacheMetadata.RowRange"/>.
/// </summary>
internal sealed class CachePartWriter : IAsyncDisposable
{
    private readonly string _workDir;
    private readonly CacheMetadata _metadata;
    private readonly int _rowGroupSize;
    private long _nextRow, _correct;
    private LogitCacheWriter? _final, _segment;

    public long FirstRow => _metadata.RowRange.First;
    public long EndRow => _metadata.RowRange.End;
    /// <summary>First row still to compute (after the segments a resumed run kept).</summary>
    public long ResumeRow { get; private set; }

    private CachePartWriter(string work, CacheMetadata meta, int rowGroupSize)
    {
        _workDir = work; _metadata = meta; _rowGroupSize = rowGroupSize;
        ResumeRow = _nextRow = meta.RowRange.First;
    }

    /// <summary>
    /// Starts the part of <paramref name="meta"/>'s shard in <paramref name="generation"/>; with
    /// <paramref name="keepSegments"/> the complete segments of an interrupted run are kept, otherwise discarded.
    /// </summary>
    public static async Task<CachePartWriter> OpenAsync(string generation, CacheMetadata meta, int rowGroupSize,
        bool keepSegments, CancellationToken ct)
    {
        int part = meta.ShardSpec.PartIndex;
        var work = CacheLayout.WorkDirectory(generation, part);
        if (!keepSegments && Directory.Exists(work)) Directory.Delete(work, true);
        var kept = keepSegments && Directory.Exists(work) ? KeepableSegments(work, meta) : new List<string>();
        try { Directory.CreateDirectory(work); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot write to {generation}: {e.Message}", e); }
        var writer = new CachePartWriter(work, meta, rowGroupSize);
        writer._final = await LogitCacheWriter.CreateAsync(generation, meta, overwrite: true, rowGroupSize, part, ct: ct);
        try { await writer.CopyKeptSegmentsAsync(kept, ct); }
        catch { await writer._final.DisposeAsync(); throw; }
        return writer;
    }

    // Segments named for consecutive rows from the part's first; the first one out of sequence and everything after
    // it are deleted (recomputed). Whether their contents are intact is checked as they are copied.
    private static List<string> KeepableSegments(string work, CacheMetadata meta)
    {
        foreach (var tmp in Directory.GetFiles(work, "*" + CacheSchema.TempSuffix)) File.Delete(tmp);
        var kept = new List<string>();
        long next = meta.RowRange.First;
        bool broken = false;
        foreach (var file in Directory.GetFiles(work, CacheLayout.SegmentPattern).Order(StringComparer.Ordinal))
        {
            if (!broken && Path.GetFileName(file) == CacheLayout.SegmentName(next) && SegmentRows(file) is long rows and > 0)
            {
                kept.Add(file);
                next += rows;
                continue;
            }
            broken = true;
            File.Delete(file);
        }
        return kept;
    }

    private static long? SegmentRows(string file)
    {
        try { return LogitCacheReader.ReadMetadataAsync(file).GetAwaiter().GetResult().Rows; }
        catch (DistillException) { return null; }
    }

    // What the interrupted run finished goes into the new part file first. A segment that does not read back whole
    // (checksums, row numbers, made for this very part) ends the kept run: it and everything after are recomputed.
    private async Task CopyKeptSegmentsAsync(List<string> segments, CancellationToken ct)
    {
        for (int s = 0; s < segments.Count; s++)
        {
            var batches = await TryReadSegmentAsync(segments[s], ct);
            if (batches == null || batches.Sum(b => (long)b.Rows) is var rows && (rows != _rowGroupSize && _nextRow + rows != EndRow))
            {
                foreach (var rest in segments.Skip(s)) File.Delete(rest);
                break;
            }
            foreach (var b in batches)
            {
                CountCorrect(b);
                await _final!.WriteAsync(b, ct);
                _nextRow += b.Rows;
            }
        }
        ResumeRow = _nextRow;
    }

    private async Task<List<LogitBatch>?> TryReadSegmentAsync(string file, CancellationToken ct)
    {
        try
        {
            using var seg = await LogitCacheReader.OpenSegmentAsync(file, _nextRow, ct);
            if (seg.Metadata.Differences(_metadata).Count > 0 || seg.Metadata.Shard != _metadata.Shard) return null;
            var batches = new List<LogitBatch>();
            for (int g = 0; g < seg.RowGroupCount; g++) batches.Add(await seg.ReadRowGroupAsync(g, ct));
            return batches;
        }
        catch (DistillException) { return null; }
    }

    private void CountCorrect(LogitBatch b)
    {
        if (b.Labels == null || !_metadata.IsClassifier) return;
        for (int r = 0; r < b.Rows; r++)
            if (b.RowArgMax(r) == b.Labels[r]) _correct++;
    }

    /// <summary>Appends the rows of <paramref name="b"/>, the next rows of the part in order.</summary>
    public async Task WriteAsync(LogitBatch b, CancellationToken ct = default)
    {
        await _final!.WriteAsync(b, ct);
        CountCorrect(b);
        for (int done = 0; done < b.Rows;)
        {
            _segment ??= await LogitCacheWriter.CreateAsync(_workDir, _metadata, overwrite: true, _rowGroupSize,
                ct: ct, fileName: CacheLayout.SegmentName(_nextRow), rows: (_nextRow, Math.Min(_nextRow + _rowGroupSize, EndRow)));
            int n = (int)Math.Min(b.Rows - done, _rowGroupSize - _segment.RowsAccepted);
            await _segment.WriteAsync(Slice(b, done, n), ct);
            done += n; _nextRow += n;
            if (_segment.RowsAccepted == _rowGroupSize || _nextRow == EndRow) await CloseSegmentAsync(ct);
        }
    }

    private async Task CloseSegmentAsync(CancellationToken ct)
    {
        if (_segment == null) return;
        // No fsync per segment: a segment lost to a power cut is found unreadable on --resume and recomputed.
        await _segment.CompleteAsync(ct, durable: false);
        await _segment.DisposeAsync();
        _segment = null;
    }

    // Rows [start, start + n) of a batch of fresh rows; from the start the arrays serve as they are (only the first
    // Rows rows of a batch count), so a copy is made only for a batch that straddles two segments.
    private LogitBatch Slice(LogitBatch b, int start, int n)
    {
        if (start == 0 && n == b.Rows) return b;
        T[]? Part<T>(T[]? a, int width) => start == 0 || a is null ? a : a[(start * width)..((start + n) * width)];
        return new LogitBatch
        {
            Rows = n, ClassCount = b.ClassCount, Width = b.Width, Index = Part(b.Index, 1)!, Labels = Part(b.Labels, 1),
            Logits = Part(b.Logits, b.Width)!, Views = Part(b.Views, 1), CropX = Part(b.CropX, 1), CropY = Part(b.CropY, 1),
            Flip = Part(b.Flip, 1), Extra = b.Extra.Select((e, j) => Part(e, _metadata.Outputs[j + 1].Width)!).ToArray(),
        };
    }

    /// <summary>
    /// Completes the part file (fsync, rename) and removes the work folder. Returns the part's path and the number
    /// of rows whose argmax equals their label.
    /// </summary>
    public async Task<(string Path, long Correct)> CompleteAsync(CancellationToken ct = default)
    {
        await CloseSegmentAsync(ct);
        var path = await _final!.CompleteAsync(ct);
        Directory.Delete(_workDir, true);
        return (path, _correct);
    }

    // An abandoned part loses its .tmp files; the complete segments stay for --resume.
    public async ValueTask DisposeAsync()
    {
        if (_segment != null) await _segment.DisposeAsync();
        if (_final != null) await _final.DisposeAsync();
    }
}
