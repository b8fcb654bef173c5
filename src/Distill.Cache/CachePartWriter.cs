using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Writes one part of a cache so that a killed run can be resumed. Rows stream into <c>part-NNNNN.parquet.tmp</c>,
/// renamed when complete; each row group is also written as its own small, complete Parquet file in a work folder
/// <c>.part-NNNNN.work/</c> (temporary name, then rename). A resumed run keeps the contiguous complete segments made
/// for the same teacher, data and shard, copies them into a new part file and continues after them; completing removes
/// the work folder.
/// Rows are numbered sample × views + view, so a part covers rows [FirstRow, EndRow).
/// </summary>
public sealed class CachePartWriter : IAsyncDisposable
{
    private readonly string _directory, _workDir;
    private readonly CacheMetadata _metadata;
    private readonly int _rowGroupSize, _part;
    private long _nextRow, _correct;
    private LogitCacheWriter? _final, _segment;

    /// <summary>Rows this part must hold: [FirstRow, EndRow).</summary>
    public long FirstRow { get; }
    public long EndRow { get; }
    /// <summary>First row still to compute (after what a resumed run found done).</summary>
    public long ResumeRow { get; }
    public string WorkDirectory => _workDir;
    public string FinalPath => Path.Combine(_directory, CacheSchema.PartName(_part));

    private CachePartWriter(string dir, string work, CacheMetadata meta, int rowGroupSize, int part, long first, long end, long resume)
    {
        _directory = dir; _workDir = work; _metadata = meta; _rowGroupSize = rowGroupSize; _part = part;
        FirstRow = first; EndRow = end; ResumeRow = resume; _nextRow = resume;
    }

    public static string WorkDirectoryFor(string dir, int part) => Path.Combine(dir, $".part-{part:00000}.work");

    /// <summary>Row number of row <paramref name="r"/> of <paramref name="b"/>: sample × views + view.</summary>
    public static long RowNumber(LogitBatch b, int r, int views) => b.Index[r] * views + (b.Views?[r] ?? 0);

    /// <summary>
    /// Prepares part <paramref name="part"/> covering rows [first, end). With <paramref name="resume"/>, complete
    /// segments of an interrupted run are kept; without it, their presence is an error unless
    /// <paramref name="overwrite"/> (then they are discarded).
    /// </summary>
    public static async Task<CachePartWriter> OpenAsync(string dir, CacheMetadata meta, int part, long first, long end,
        int rowGroupSize, bool resume, bool overwrite, CancellationToken ct = default)
    {
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot create output directory {dir}: {e.Message}", e); }
        var work = WorkDirectoryFor(dir, part);
        var final = Path.Combine(dir, CacheSchema.PartName(part));
        if (File.Exists(final) && !overwrite && !resume)
            throw new DistillException($"{dir} already holds a cache (pass --overwrite to replace it)");
        long resumeRow = first;
        if (Directory.Exists(work))
        {
            if (resume) resumeRow = await KeepCompleteSegmentsAsync(work, meta, first, end, rowGroupSize, ct);
            else if (overwrite) Directory.Delete(work, true);
            else throw new DistillException(
                $"{dir} holds an interrupted run ({Path.GetFileName(work)}); pass --resume to continue it or --overwrite to start over");
        }
        try { Directory.CreateDirectory(work); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot write to {dir}: {e.Message}", e); }
        var writer = new CachePartWriter(dir, work, meta, rowGroupSize, part, first, end, resumeRow);
        writer._final = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: true, rowGroupSize, part, ct: ct);
        try { await writer.CopyKeptSegmentsAsync(ct); }
        catch { await writer._final.DisposeAsync(); throw; }
        return writer;
    }

    // A resumed run: what the interrupted one finished goes into the new part file first.
    private async Task CopyKeptSegmentsAsync(CancellationToken ct)
    {
        foreach (var file in Directory.GetFiles(_workDir, "seg-*.parquet").Order(StringComparer.Ordinal))
        {
            using var seg = await LogitCacheReader.OpenAsync(file, ct);
            for (int g = 0; g < seg.RowGroupCount; g++)
            {
                var b = await seg.ReadRowGroupAsync(g, ct);
                CountCorrect(b);
                await _final!.WriteAsync(b, ct);
            }
        }
    }

    private void CountCorrect(LogitBatch b)
    {
        if (b.Labels == null || !_metadata.IsClassifier) return;
        for (int r = 0; r < b.Rows; r++)
            if (b.RowArgMax(r) == b.Labels[r]) _correct++;
    }

    private static string SegmentName(long firstRow) => $"seg-{firstRow:000000000000}.parquet";

    // Keeps the longest run of valid segments from `first`; anything after a gap or a bad segment is recomputed.
    private static async Task<long> KeepCompleteSegmentsAsync(string work, CacheMetadata meta, long first, long end,
        int rowGroupSize, CancellationToken ct)
    {
        long next = first;
        bool broken = false;
        foreach (var file in Directory.GetFiles(work, "seg-*.parquet").Order(StringComparer.Ordinal))
        {
            if (!broken)
            {
                try
                {
                    using var seg = await LogitCacheReader.OpenAsync(file, ct);
                    var m = seg.Metadata;
                    if (!m.SameCacheAs(meta) || m.Shard != meta.Shard)
                        throw new DistillException(
                            $"{work} was left by a run with another teacher, data or shard; pass --overwrite to start over");
                    var b = await seg.ReadRowGroupAsync(0, ct);
                    if (Path.GetFileName(file) == SegmentName(next) && b.Rows > 0 && RowNumber(b, 0, meta.Views) == next
                        && (b.Rows == rowGroupSize || next + b.Rows == end))
                    {
                        next += b.Rows;
                        continue;
                    }
                }
                catch (DistillException e) when (!e.Message.Contains("--overwrite")) { /* unreadable: recompute */ }
                broken = true;
            }
            File.Delete(file);
        }
        foreach (var tmp in Directory.GetFiles(work, "*" + CacheSchema.TempSuffix)) File.Delete(tmp);
        return next;
    }

    /// <summary>Appends the rows of <paramref name="b"/> in row order, starting at <see cref="ResumeRow"/>.</summary>
    public async Task WriteAsync(LogitBatch b, CancellationToken ct = default)
    {
        await _final!.WriteAsync(b, ct);
        CountCorrect(b);
        for (int done = 0; done < b.Rows;)
        {
            _segment ??= await LogitCacheWriter.CreateAsync(_workDir, _metadata, overwrite: true, _rowGroupSize,
                ct: ct, fileName: SegmentName(_nextRow));
            int n = (int)Math.Min(b.Rows - done, _rowGroupSize - _segment.RowsAccepted);
            await _segment.WriteAsync(Slice(b, done, n), ct);
            done += n; _nextRow += n;
            if (_segment.RowsAccepted == _rowGroupSize) await CloseSegmentAsync(ct);
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
    /// Completes the part file (fsync, rename) and removes the work folder. Returns the final path and the number of
    /// rows whose argmax equals their label.
    /// </summary>
    public async Task<(string Path, long Correct)> CompleteAsync(CancellationToken ct = default)
    {
        await CloseSegmentAsync(ct);
        if (_nextRow != EndRow)
            throw new InvalidOperationException($"part {_part} has rows up to {_nextRow}, expected {EndRow}");
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
