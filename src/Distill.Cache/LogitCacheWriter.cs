using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// Writes one part file of a logits cache. Rows are buffered into row groups of <c>rowGroupSize</c>; the file is
/// written as <c>part-NNNNN.parquet.tmp</c> and only renamed to its final name by <see cref="CompleteAsync"/>, after
/// the footer is written and the data is flushed to disk. Disposing without completing deletes the temporary file,
/// so a name without <c>.tmp</c> is never partial.
/// </summary>
public sealed class LogitCacheWriter : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly ParquetSchema _schema;
    private readonly CacheEncoding _encoding;
    private readonly int _k;
    private readonly int[] _topIndex;
    private readonly float[] _topLogits;
    private readonly double[] _lse;
    private readonly int[] _topDefinition, _topRepetition;
    private readonly CacheMetadata _metadata;
    private readonly int _classCount, _rowGroupSize;
    private readonly long[] _index;
    private readonly int[]? _labels, _views;
    private readonly float[] _logits;
    private readonly int[] _definitionLevels, _repetitionLevels;
    private int _buffered;
    private bool _completed, _disposed;

    public string TempPath { get; }
    public string FinalPath { get; }
    public long RowsWritten { get; private set; }
    public int RowGroupsWritten { get; private set; }

    private LogitCacheWriter(FileStream stream, ParquetWriter writer, ParquetSchema schema, CacheMetadata metadata,
        int rowGroupSize, bool views, string tempPath, string finalPath)
    {
        _stream = stream; _writer = writer; _schema = schema; _metadata = metadata;
        _classCount = metadata.ClassCount; _rowGroupSize = rowGroupSize;
        _encoding = metadata.Encoding;
        _k = _encoding.IsTopK ? _encoding.TopK : 0;
        if (_k > _classCount) throw new DistillException($"--top-k {_k} exceeds the {_classCount} classes");
        _index = new long[rowGroupSize];
        _labels = metadata.HasLabels ? new int[rowGroupSize] : null;
        _views = views ? new int[rowGroupSize] : null;
        _logits = new float[rowGroupSize * _classCount];
        // A full list per row: every value is defined (level 2); repetition level 0 starts a row, 1 continues it.
        _definitionLevels = new int[_logits.Length];
        _repetitionLevels = new int[_logits.Length];
        Array.Fill(_definitionLevels, 2);
        for (int i = 0; i < _repetitionLevels.Length; i++) _repetitionLevels[i] = i % _classCount == 0 ? 0 : 1;
        _topIndex = new int[rowGroupSize * _k];
        _topLogits = new float[rowGroupSize * _k];
        _lse = new double[_k > 0 ? rowGroupSize : 0];
        _topDefinition = new int[_topIndex.Length];
        _topRepetition = new int[_topIndex.Length];
        Array.Fill(_topDefinition, 2);
        for (int i = 0; i < _topRepetition.Length; i++) _topRepetition[i] = i % _k == 0 ? 0 : 1;
        TempPath = tempPath; FinalPath = finalPath;
    }

    /// <summary>
    /// Starts part <paramref name="part"/> of the cache in <paramref name="directory"/> (created if needed).
    /// Refuses to replace an existing complete part unless <paramref name="overwrite"/>.
    /// </summary>
    public static async Task<LogitCacheWriter> CreateAsync(string directory, CacheMetadata metadata, bool overwrite,
        int rowGroupSize = 2048, int part = 0, bool views = false, CancellationToken ct = default, string? fileName = null)
    {
        if (rowGroupSize <= 0) throw new DistillException("row group size must be positive");
        if (metadata.ClassCount <= 0) throw new DistillException("class count must be positive");
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
            var schema = CacheSchema.Create(metadata.HasLabels, views, metadata.Encoding);
            // Logits do not compress (see docs/cache-format.md); never rely on Parquet.Net's default level.
            var options = new ParquetOptions
            {
                CompressionMethod = CompressionMethod.None,
                CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
            };
            var writer = await ParquetWriter.CreateAsync(schema, stream, options, false, ct);
            return new LogitCacheWriter(stream, writer, schema, metadata, rowGroupSize, views, tempPath, finalPath);
        }
        catch
        {
            await stream.DisposeAsync();
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Appends rows (index ascending); <paramref name="logits"/> holds rows × C values.</summary>
    public async Task WriteAsync(ReadOnlyMemory<long> index, ReadOnlyMemory<int> labels, ReadOnlyMemory<float> logits,
        ReadOnlyMemory<int> views = default, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        int rows = index.Length;
        if (logits.Length != rows * _classCount)
            throw new ArgumentException($"expected {rows * _classCount} logits for {rows} rows, got {logits.Length}");
        if (_labels != null && labels.Length != rows) throw new ArgumentException("labels length differs from rows");
        if (_views != null && views.Length != rows) throw new ArgumentException("views length differs from rows");
        for (int done = 0; done < rows;)
        {
            int n = Math.Min(rows - done, _rowGroupSize - _buffered);
            index.Span.Slice(done, n).CopyTo(_index.AsSpan(_buffered));
            if (_labels != null) labels.Span.Slice(done, n).CopyTo(_labels.AsSpan(_buffered));
            if (_views != null) views.Span.Slice(done, n).CopyTo(_views.AsSpan(_buffered));
            logits.Span.Slice(done * _classCount, n * _classCount).CopyTo(_logits.AsSpan(_buffered * _classCount));
            if (_k > 0)
                for (int r = 0; r < n; r++)
                    TopK.Select(_logits.AsSpan((_buffered + r) * _classCount, _classCount), _topIndex.AsSpan((_buffered + r) * _k, _k),
                        _topLogits.AsSpan((_buffered + r) * _k, _k), out _lse[_buffered + r]);
            _buffered += n; done += n;
            if (_buffered == _rowGroupSize) await FlushRowGroupAsync(ct);
        }
    }

    /// <summary>Appends a batch read from another cache of the same encoding, keeping top-k rows exactly as stored.</summary>
    public async Task WriteBatchAsync(LogitBatch b, CancellationToken ct = default)
    {
        if (_k == 0) { await WriteAsync(b.Index, b.Labels ?? default(ReadOnlyMemory<int>), b.Logits, b.Views ?? default(ReadOnlyMemory<int>), ct); return; }
        if (b.TopK != _k) throw new ArgumentException($"batch has top-{b.TopK}, cache top-{_k}");
        for (int done = 0; done < b.Rows;)
        {
            int n = Math.Min(b.Rows - done, _rowGroupSize - _buffered);
            b.Index.AsSpan(done, n).CopyTo(_index.AsSpan(_buffered));
            if (_labels != null) b.Labels.AsSpan(done, n).CopyTo(_labels.AsSpan(_buffered));
            if (_views != null) b.Views.AsSpan(done, n).CopyTo(_views.AsSpan(_buffered));
            b.TopIndex.AsSpan(done * _k, n * _k).CopyTo(_topIndex.AsSpan(_buffered * _k));
            b.TopLogits.AsSpan(done * _k, n * _k).CopyTo(_topLogits.AsSpan(_buffered * _k));
            b.LogSumExp.AsSpan(done, n).CopyTo(_lse.AsSpan(_buffered));
            _buffered += n; done += n;
            if (_buffered == _rowGroupSize) await FlushRowGroupAsync(ct);
        }
    }

    private async Task FlushRowGroupAsync(CancellationToken ct)
    {
        if (_buffered == 0) return;
        int n = _buffered, values = n * _classCount;
        using (var rg = _writer.CreateRowGroup())
        {
            await rg.WriteAsync<long>(CacheSchema.Index, _index.AsMemory(0, n), null, null, ct);
            if (_labels != null) await rg.WriteAsync<int>(CacheSchema.Label, _labels.AsMemory(0, n), null, null, ct);
            if (_views != null) await rg.WriteAsync<int>(CacheSchema.View, _views.AsMemory(0, n), null, null, ct);
            if (_k > 0)
            {
                int kv = n * _k;
                await rg.WriteAllPartsAsync<int>(Item("topk_index"), _topIndex.AsMemory(0, kv),
                    _topDefinition.AsMemory(0, kv), _topRepetition.AsMemory(0, kv), ct);
                await rg.WriteAllPartsAsync<float>(Item("topk_logits"), _topLogits.AsMemory(0, kv),
                    _topDefinition.AsMemory(0, kv), _topRepetition.AsMemory(0, kv), ct);
                await rg.WriteAsync<double>(CacheSchema.LogSumExp, _lse.AsMemory(0, n), null, null, ct);
            }
            else if (_encoding.Dtype == "float16")
            {
                var rows = new byte[n][];
                for (int r = 0; r < n; r++)
                {
                    var bytes = rows[r] = new byte[2 * _classCount];
                    for (int c = 0; c < _classCount; c++)
                        System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * c), (Half)_logits[r * _classCount + c]);
                }
                await rg.WriteAsync(CacheSchema.HalfLogits, rows, null);
            }
            else
                await rg.WriteAllPartsAsync<float>(Item(CacheSchema.LogitsColumn), _logits.AsMemory(0, values),
                    _definitionLevels.AsMemory(0, values), _repetitionLevels.AsMemory(0, values), ct);
        }
        RowsWritten += n;
        RowGroupsWritten++;
        _buffered = 0;
    }

    // Parquet.Net writes only through the field instances of the schema the file was created with.
    private DataField Item(string list) => (DataField)((ListField)_schema.Fields.Single(f => f.Name == list)).Item;

    /// <summary>Writes the last row group and the footer, flushes to disk and renames the file to its final name.</summary>
    public async Task<string> CompleteAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        await FlushRowGroupAsync(ct);
        var meta = _metadata with { Rows = RowsWritten, CreatedUtc = DateTime.UtcNow.ToString("O") };
        _writer.CustomMetadata = meta.ToKeyValues();
        await _writer.DisposeAsync();
        await _stream.FlushAsync(ct);
        _stream.Flush(flushToDisk: true);
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
