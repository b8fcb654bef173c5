using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// Writes one part file of a logits cache. Rows are buffered into row groups of <c>rowGroupSize</c>; the file is
/// written as <c>part-NNNNN.parquet.tmp</c> and only renamed to its final name by <see cref="CompleteAsync"/>, after
/// the footer is written and the data is flushed to disk. Disposing without completing deletes the temporary file,
/// so a name without <c>.tmp</c> is never partial. The file holds exactly the rows of its range (by default the
/// part's <see cref="CacheMetadata.RowRange"/>), each once, in order; every row group's columns are checksummed
/// (<see cref="RowGroupChecksums"/>).
/// </summary>
public sealed class LogitCacheWriter : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly ParquetSchema _schema;
    private readonly CacheMetadata _metadata;
    private readonly int _rowGroupSize;
    private readonly int[] _widths;
    // One row group being filled: the row columns here, each output's values in its codec's encoder.
    private readonly long[] _index;
    private readonly int[]? _labels, _views, _cropX, _cropY, _flip;
    private readonly ColumnEncoder[] _encoders;
    private readonly Dictionary<int, (int[] Definition, int[] Repetition)> _levels = new();
    private readonly RowGroupChecksums _checksums;
    private readonly long _firstRow, _endRow;
    private int _buffered;
    private bool _completed, _disposed;

    public string TempPath { get; }
    public string FinalPath { get; }
    public long RowsWritten { get; private set; }
    public int RowGroupsWritten { get; private set; }
    /// <summary>Rows accepted so far (written or buffered).</summary>
    public long RowsAccepted => RowsWritten + _buffered;

    /// <summary>The row number (sample × views + view) the next row must have.</summary>
    public long NextRow => _firstRow + RowsAccepted;

    private LogitCacheWriter(FileStream stream, ParquetWriter writer, ParquetSchema schema, CacheMetadata metadata,
        int rowGroupSize, string tempPath, string finalPath, (long First, long End) rows)
    {
        _stream = stream; _writer = writer; _schema = schema; _metadata = metadata; _rowGroupSize = rowGroupSize;
        (_firstRow, _endRow) = rows;
        _checksums = new RowGroupChecksums(schema.Fields.Select(f => f.Name).ToArray());
        _widths = metadata.Outputs.Select(o => o.Width).ToArray();
        _index = new long[rowGroupSize];
        _labels = metadata.HasLabels ? new int[rowGroupSize] : null;
        if (metadata.HasViews) { _views = new int[rowGroupSize]; _cropX = new int[rowGroupSize]; _cropY = new int[rowGroupSize]; _flip = new int[rowGroupSize]; }
        _encoders = metadata.Outputs.Zip(metadata.ColumnCodecs).Select(p => p.Second.CreateEncoder(p.First, schema, rowGroupSize, metadata.HasLabels)).ToArray();
        TempPath = tempPath; FinalPath = finalPath;
    }

    /// <summary>
    /// Starts part <paramref name="part"/> of the cache in <paramref name="directory"/> (created if needed).
    /// Refuses to replace an existing complete part unless <paramref name="overwrite"/>. The file must receive
    /// exactly the rows [First, End) of <paramref name="rows"/> (default: the part's whole range).
    /// </summary>
    public static async Task<LogitCacheWriter> CreateAsync(string directory, CacheMetadata metadata, bool overwrite,
        int rowGroupSize = 2048, int part = 0, CancellationToken ct = default, string? fileName = null,
        (long First, long End)? rows = null)
    {
        if (rowGroupSize <= 0) throw new DistillException("row group size must be positive");
        var range = rows ?? metadata.RowRange;
        if (range.First < metadata.RowRange.First || range.End > metadata.RowRange.End || range.End < range.First)
            throw new ArgumentException($"rows {range.First}..{range.End} are outside the part's {metadata.RowRange.First}..{metadata.RowRange.End}");
        if (metadata.ClassCount <= 0) throw new DistillException("class count must be positive");
        if (metadata.ColumnCodecs.Count != metadata.Outputs.Count) throw new ArgumentException("one codec per output");
        foreach (var (o, codec) in metadata.Outputs.Zip(metadata.ColumnCodecs))
            if (codec.Problem(o, metadata.ClassCount) is { } why) throw new DistillException(why);
        var schema = CacheSchema.Create(metadata);
        var finalPath = Path.Combine(directory, fileName ?? CacheSchema.PartName(part));
        if (File.Exists(finalPath) && !overwrite)
            throw new DistillException($"{directory} already holds a cache (pass --overwrite to replace it)");
        try { Directory.CreateDirectory(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot create output directory {directory}: {e.Message}", e); }

        var tempPath = finalPath + CacheSchema.TempSuffix;
        FileStream stream;
        try { stream = new FileStream(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot write to {directory}: {e.Message}", e); }
        try
        {
            var writer = await ParquetWriter.CreateAsync(schema, stream, CacheSchema.Options(metadata), false, ct);
            return new LogitCacheWriter(stream, writer, schema, metadata, rowGroupSize, tempPath, finalPath, range);
        }
        catch
        {
            await stream.DisposeAsync();
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Appends rows (index ascending) of a plain cache: <paramref name="logits"/> holds rows × C values.</summary>
    public Task WriteAsync(ReadOnlyMemory<long> index, ReadOnlyMemory<int> labels, ReadOnlyMemory<float> logits,
        CancellationToken ct = default)
    {
        int rows = index.Length;
        if (logits.Length != (long)rows * _widths[0])
            throw new ArgumentException($"expected {rows * _widths[0]} logits for {rows} rows, got {logits.Length}");
        if (_labels != null && labels.Length != rows) throw new ArgumentException("labels length differs from rows");
        if (_widths.Length > 1 || _views != null) throw new ArgumentException("this cache has more columns; write a LogitBatch");
        return WriteAsync(new LogitBatch
        {
            Rows = rows, ClassCount = _metadata.ClassCount, Width = _widths[0], Index = index.ToArray(),
            Labels = _labels != null ? labels.ToArray() : null, Logits = logits.ToArray(),
        }, ct);
    }

    /// <summary>
    /// Appends the first <c>b.Rows</c> rows of <paramref name="b"/>, which must be the next rows of the range in order.
    /// Each column is encoded by its codec from the dense values, or, for rows read from a cache of the same encoding
    /// (<see cref="LogitBatch.Encoded"/>), stored as they were.
    /// </summary>
    public async Task WriteAsync(LogitBatch b, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        int rows = b.Rows;
        if (b.Width != _widths[0]) throw new ArgumentException($"batch rows hold {b.Width} values, the cache {_widths[0]}");
        if (b.Index.Length < rows) throw new ArgumentException("batch arrays are shorter than its rows");
        if (_labels != null && (b.Labels == null || b.Labels.Length < rows)) throw new ArgumentException("labels missing");
        if (_views != null && (b.Views == null || b.CropX == null || b.CropY == null || b.Flip == null)) throw new ArgumentException("view columns missing");
        if (b.Extra.Count != _widths.Length - 1) throw new ArgumentException($"batch has {b.Extra.Count} extra outputs, the cache {_widths.Length - 1}");
        for (int j = 0; j < _widths.Length; j++)
            if (b.Column(j).Length < (long)rows * _widths[j]) throw new ArgumentException($"column {j} holds fewer than {rows} rows");
        long next = NextRow;
        for (int r = 0; r < rows; r++, next++)
            if (b.Index[r] * _metadata.Views + (b.Views?[r] ?? 0) != next)
                throw new ArgumentException($"row {r} of the batch is sample {b.Index[r]} view {b.Views?[r] ?? 0}, but the next row of the part is {next} (sample {next / _metadata.Views} view {next % _metadata.Views})");
        if (next > _endRow) throw new ArgumentException($"the batch goes past the part's last row {_endRow - 1}");
        for (int done = 0; done < rows;)
        {
            int n = Math.Min(rows - done, _rowGroupSize - _buffered), at = _buffered;
            b.Index.AsSpan(done, n).CopyTo(_index.AsSpan(at));
            if (_labels != null) b.Labels.AsSpan(done, n).CopyTo(_labels.AsSpan(at));
            if (_views != null)
            {
                b.Views.AsSpan(done, n).CopyTo(_views.AsSpan(at));
                b.CropX.AsSpan(done, n).CopyTo(_cropX.AsSpan(at));
                b.CropY.AsSpan(done, n).CopyTo(_cropY.AsSpan(at));
                b.Flip.AsSpan(done, n).CopyTo(_flip.AsSpan(at));
            }
            var labels = b.Labels is null ? ReadOnlySpan<int>.Empty : b.Labels.AsSpan(done, n);
            for (int j = 0; j < _encoders.Length; j++)
                _encoders[j].Add(at, n, b.Column(j).AsSpan(done * _widths[j], n * _widths[j]), labels, b.EncodedColumn(j), done);
            _buffered += n; done += n;
            if (_buffered == _rowGroupSize) await FlushRowGroupAsync(ct);
        }
    }

    private async Task FlushRowGroupAsync(CancellationToken ct)
    {
        if (_buffered == 0) return;
        int n = _buffered;
        Dictionary<string, uint> crc;
        using (var rg = _writer.CreateRowGroup())
        {
            var w = new ColumnWriteContext(rg, _schema, _rowGroupSize, _levels);
            await w.WriteScalarsAsync(CacheSchema.IndexColumn, _index, n, ct);
            if (_labels != null) await w.WriteScalarsAsync(CacheSchema.LabelColumn, _labels, n, ct);
            if (_views != null)
            {
                await w.WriteScalarsAsync(CacheSchema.ViewColumn, _views, n, ct);
                await w.WriteScalarsAsync(CacheSchema.CropXColumn, _cropX!, n, ct);
                await w.WriteScalarsAsync(CacheSchema.CropYColumn, _cropY!, n, ct);
                await w.WriteScalarsAsync(CacheSchema.FlipColumn, _flip!, n, ct);
            }
            foreach (var e in _encoders) await e.FlushAsync(w, n, ct);
            crc = w.Crc;
        }
        _checksums.Add(n, crc);
        RowsWritten += n;
        RowGroupsWritten++;
        _buffered = 0;
    }

    /// <summary>
    /// Writes the last row group and the footer and renames the file to its final name. With
    /// <paramref name="durable"/> the data is first flushed to the disk (fsync), so the rename also survives a power
    /// loss; without it, it survives the process being killed (the page cache is intact), which is enough for files a
    /// reader re-validates (resume segments).
    /// </summary>
    public async Task<string> CompleteAsync(CancellationToken ct = default, bool durable = true)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        await FlushRowGroupAsync(ct);
        if (_firstRow + RowsWritten != _endRow)
            throw new InvalidOperationException($"{FinalPath} holds rows {_firstRow}..{_firstRow + RowsWritten}, expected {_firstRow}..{_endRow}");
        var meta = _metadata with { Rows = RowsWritten, CreatedUtc = DateTime.UtcNow.ToString("O") };
        _writer.CustomMetadata = meta.ToKeyValues(_checksums);
        await _writer.DisposeAsync();
        await _stream.FlushAsync(ct);
        if (durable) _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync();
        File.Move(TempPath, FinalPath, overwrite: true);
        _completed = true;
        return FinalPath;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed || _completed) { _disposed = true; return; }
        _disposed = true;
        try { await _writer.DisposeAsync(); } catch { /* the file is being abandoned */ }
        try { await _stream.DisposeAsync(); } catch { /* e.g. disk full while flushing */ }
        try { File.Delete(TempPath); } catch { /* best effort */ }
    }
}
