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
    private readonly CacheEncoding _encoding;
    private readonly int _width, _k, _rowGroupSize;
    private readonly int[] _extraWidth;
    // One row group being filled.
    private readonly long[] _index;
    private readonly int[]? _labels, _views, _cropX, _cropY, _flip;
    private readonly float[] _logits;
    private readonly float[][] _extra;
    private readonly int[] _topIndex;
    private readonly float[] _topLogits;
    private readonly double[] _lse;
    private readonly Dictionary<int, (int[] Definition, int[] Repetition)> _levels = new();
    private readonly RowGroupChecksums _checksums;
    private readonly Dictionary<string, uint> _groupCrc = new();
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
        _encoding = metadata.Encoding;
        _width = metadata.Width;
        _k = _encoding.IsTopK ? _encoding.TopK : 0;
        _index = new long[rowGroupSize];
        _labels = metadata.HasLabels ? new int[rowGroupSize] : null;
        if (metadata.HasViews) { _views = new int[rowGroupSize]; _cropX = new int[rowGroupSize]; _cropY = new int[rowGroupSize]; _flip = new int[rowGroupSize]; }
        _logits = new float[(long)rowGroupSize * _width];
        _extraWidth = metadata.Outputs.Skip(1).Select(o => o.Width).ToArray();
        _extra = _extraWidth.Select(w => new float[(long)rowGroupSize * w]).ToArray();
        _topIndex = new int[rowGroupSize * _k];
        _topLogits = new float[rowGroupSize * _k];
        _lse = new double[_k > 0 ? rowGroupSize : 0];
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
        if (metadata.Encoding.TopK > metadata.ClassCount) throw new DistillException($"--top-k {metadata.Encoding.TopK} exceeds the {metadata.ClassCount} classes");
        if (metadata.Encoding.IsTopK && !metadata.IsClassifier) throw new DistillException("--top-k needs class logits [N, C], not a dense output");
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
            var schema = CacheSchema.Create(metadata);
            // Logits do not compress (see docs/cache-format.md); never rely on Parquet.Net's default level.
            var options = new ParquetOptions
            {
                CompressionMethod = CompressionMethod.None,
                CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
            };
            var writer = await ParquetWriter.CreateAsync(schema, stream, options, false, ct);
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
        if (logits.Length != (long)rows * _width)
            throw new ArgumentException($"expected {rows * _width} logits for {rows} rows, got {logits.Length}");
        if (_labels != null && labels.Length != rows) throw new ArgumentException("labels length differs from rows");
        if (_extra.Length > 0 || _views != null) throw new ArgumentException("this cache has more columns; write a LogitBatch");
        return WriteAsync(new LogitBatch
        {
            Rows = rows, ClassCount = _metadata.ClassCount, Width = _width, Index = index.ToArray(),
            Labels = _labels != null ? labels.ToArray() : null, Logits = logits.ToArray(),
        }, ct);
    }

    /// <summary>
    /// Appends the first <c>b.Rows</c> rows of <paramref name="b"/>, which must be the next rows of the range in order.
    /// A batch read from a top-k cache of the same K keeps its stored top-k exactly; otherwise its dense
    /// <c>Logits</c> are encoded.
    /// </summary>
    public async Task WriteAsync(LogitBatch b, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        int rows = b.Rows;
        if (b.Width != _width) throw new ArgumentException($"batch rows hold {b.Width} values, the cache {_width}");
        if (b.Logits.Length < (long)rows * _width || b.Index.Length < rows) throw new ArgumentException("batch arrays are shorter than its rows");
        if (_labels != null && (b.Labels == null || b.Labels.Length < rows)) throw new ArgumentException("labels missing");
        if (_views != null && (b.Views == null || b.CropX == null || b.CropY == null || b.Flip == null)) throw new ArgumentException("view columns missing");
        if (b.Extra.Count != _extra.Length) throw new ArgumentException($"batch has {b.Extra.Count} extra outputs, the cache {_extra.Length}");
        bool storedTopK = _k > 0 && b.TopK == _k;
        if (b.TopK > 0 && !storedTopK) throw new ArgumentException($"batch has top-{b.TopK}, cache top-{_k}");
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
            for (int j = 0; j < _extra.Length; j++)
                b.Extra[j].AsSpan(done * _extraWidth[j], n * _extraWidth[j]).CopyTo(_extra[j].AsSpan(at * _extraWidth[j]));
            if (storedTopK)
            {
                b.TopIndex.AsSpan(done * _k, n * _k).CopyTo(_topIndex.AsSpan(at * _k));
                b.TopLogits.AsSpan(done * _k, n * _k).CopyTo(_topLogits.AsSpan(at * _k));
                b.LogSumExp.AsSpan(done, n).CopyTo(_lse.AsSpan(at));
            }
            else
            {
                b.Logits.AsSpan(done * _width, n * _width).CopyTo(_logits.AsSpan(at * _width));
                if (_k > 0)
                    for (int r = at; r < at + n; r++)
                        TopK.Select(_logits.AsSpan(r * _width, _width), _topIndex.AsSpan(r * _k, _k), _topLogits.AsSpan(r * _k, _k), out _lse[r]);
            }
            _buffered += n; done += n;
            if (_buffered == _rowGroupSize) await FlushRowGroupAsync(ct);
        }
    }

    private async Task FlushRowGroupAsync(CancellationToken ct)
    {
        if (_buffered == 0) return;
        int n = _buffered;
        var crc = _groupCrc;
        crc.Clear();
        using (var rg = _writer.CreateRowGroup())
        {
            await WriteScalarsAsync(rg, CacheSchema.Index, _index, n, ct);
            if (_labels != null) await WriteScalarsAsync(rg, CacheSchema.Label, _labels, n, ct);
            if (_views != null)
            {
                await WriteScalarsAsync(rg, CacheSchema.View, _views, n, ct);
                await WriteScalarsAsync(rg, CacheSchema.CropX, _cropX!, n, ct);
                await WriteScalarsAsync(rg, CacheSchema.CropY, _cropY!, n, ct);
                await WriteScalarsAsync(rg, CacheSchema.Flip, _flip!, n, ct);
            }
            if (_k > 0)
            {
                await WriteListsAsync(rg, CacheSchema.TopIndexColumn, _topIndex, n, _k, ct);
                await WriteListsAsync(rg, CacheSchema.TopLogitsColumn, _topLogits, n, _k, ct);
                await WriteScalarsAsync(rg, CacheSchema.LogSumExp, _lse, n, ct);
            }
            else if (_encoding.Dtype == "float16")
            {
                var rows = new byte[n][];
                for (int r = 0; r < n; r++)
                {
                    var bytes = rows[r] = new byte[2 * _width];
                    for (int c = 0; c < _width; c++)
                        System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * c), (Half)_logits[r * _width + c]);
                }
                crc[CacheSchema.LogitsColumn] = RowGroupChecksums.Of(rows, n);
                await rg.WriteAsync(CacheSchema.HalfLogits, rows, null);
            }
            else await WriteListsAsync(rg, CacheSchema.LogitsColumn, _logits, n, _width, ct);
            for (int j = 0; j < _extra.Length; j++)
                await WriteListsAsync(rg, _metadata.Outputs[j + 1].Column, _extra[j], n, _extraWidth[j], ct);
        }
        _checksums.Add(n, crc);
        RowsWritten += n;
        RowGroupsWritten++;
        _buffered = 0;
    }

    private async Task WriteScalarsAsync<T>(ParquetRowGroupWriter rg, DataField<T> field, T[] values, int rows,
        CancellationToken ct) where T : unmanaged
    {
        _groupCrc[field.Name] = RowGroupChecksums.Of(values, rows);
        await rg.WriteAsync<T>(field, values.AsMemory(0, rows), null, null, ct);
    }

    // Standard 3-level lists, every row exactly `width` values: all defined (level 2); repetition 0 starts a row.
    private async Task WriteListsAsync<T>(ParquetRowGroupWriter rg, string column, T[] values, int rows, int width,
        CancellationToken ct) where T : unmanaged
    {
        int count = rows * width;
        if (!_levels.TryGetValue(width, out var levels))
        {
            int max = _rowGroupSize * width;
            levels = (new int[max], new int[max]);
            Array.Fill(levels.Definition, 2);
            for (int i = 0; i < max; i += width) levels.Repetition.AsSpan(i + 1, width - 1).Fill(1);
            _levels[width] = levels;
        }
        _groupCrc[column] = RowGroupChecksums.Of(values, count);
        // Parquet.Net writes only through the field instances of the schema the file was created with.
        var field = (DataField)((ListField)_schema.Fields.Single(f => f.Name == column)).Item;
        await rg.WriteAllPartsAsync<T>(field, values.AsMemory(0, count),
            levels.Definition.AsMemory(0, count), levels.Repetition.AsMemory(0, count), ct);
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
