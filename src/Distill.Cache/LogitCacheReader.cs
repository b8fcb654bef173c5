using System.Runtime.CompilerServices;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// Reads a logits cache directory (docs/cache-format.md) row group by row group. Opening validates every part file
/// (schema, metadata, row counts, agreement between parts); any problem is a <see cref="DistillException"/> naming
/// the file. Thread-safe: row groups of the same file are read one at a time.
/// </summary>
public sealed class LogitCacheReader : IDisposable
{
    private sealed record Part(string Path, FileStream Stream, ParquetReader Reader, CacheMetadata Metadata, DataField Index,
        DataField? Label, DataField? Logits, DataField? Half, DataField? TopIndex, DataField? TopLogits,
        DataField? LogSumExp, DataField[]? ViewFields, DataField[] Extra, SemaphoreSlim Gate);

    private readonly List<Part> _parts;
    private readonly List<(int Part, int Group, int Rows, long FirstRow)> _groups;

    public string Directory { get; }
    public CacheMetadata Metadata { get; }
    public long RowCount { get; }
    public int RowGroupCount => _groups.Count;
    public IReadOnlyList<string> Files => _parts.Select(p => p.Path).ToList();

    private LogitCacheReader(string dir, List<Part> parts, List<(int, int, int, long)> groups, CacheMetadata meta, long rows)
    {
        Directory = dir; _parts = parts; _groups = groups; Metadata = meta; RowCount = rows;
    }

    /// <summary>
    /// SHA-256 (hex) over every part file's Parquet footer in order: the footer holds the metadata (teacher, data,
    /// preprocessing, row counts) and every column chunk's offsets, sizes and statistics, so a cache rewritten or
    /// replaced gets another value. A run records it to recognise its own cache on --resume.
    /// </summary>
    public string ContentChecksum => _contentChecksum ??= ComputeContentChecksum();
    private string? _contentChecksum;

    private string ComputeContentChecksum()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> tail = stackalloc byte[8];
        foreach (var p in _parts)
        {
            p.Gate.Wait();   // row groups of this file are read through the same stream
            try
            {
                long length = p.Stream.Length;
                p.Stream.Position = length - 8;
                p.Stream.ReadExactly(tail);
                int footer = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
                var bytes = new byte[footer + 8];
                p.Stream.Position = length - 8 - footer;
                p.Stream.ReadExactly(bytes);
                sha.AppendData(bytes);
            }
            finally { p.Gate.Release(); }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Rows in row group <paramref name="group"/>.</summary>
    public int RowGroupRows(int group) => _groups[group].Rows;

    /// <summary>Opens a cache directory (or a single part file).</summary>
    public static LogitCacheReader Open(string path) => OpenAsync(path).GetAwaiter().GetResult();

    public static async Task<LogitCacheReader> OpenAsync(string path, CancellationToken ct = default)
    {
        string[] files;
        if (File.Exists(path)) files = new[] { path };
        else if (System.IO.Directory.Exists(path))
            files = System.IO.Directory.GetFiles(path, CacheSchema.PartPattern).Order(StringComparer.Ordinal).ToArray();
        else throw new DistillException($"cache {path} not found");
        if (files.Length == 0)
        {
            bool partial = System.IO.Directory.GetFiles(path, "*" + CacheSchema.TempSuffix).Length > 0
                || System.IO.Directory.GetDirectories(path, ".part-*.work").Length > 0;
            throw new DistillException(partial
                ? $"cache {path} is incomplete (only unfinished .tmp files; rerun precompute-logits, with --resume if supported)"
                : $"cache {path} holds no part-*.parquet files");
        }

        var parts = new List<Part>();
        var groups = new List<(int, int, int, long)>();
        CacheMetadata? first = null;
        var shards = new List<string>();
        long total = 0;
        try
        {
            foreach (var file in files)
            {
                var part = await OpenPartAsync(file, ct);
                parts.Add(part);
                var meta = part.Metadata;
                if (first != null && !first.SameCacheAs(meta))
                    throw new DistillException($"{file}: part belongs to a different cache than {files[0]} (teacher, data or shape differ)");
                first ??= meta;
                shards.Add(meta.Shard);
                long fileRows = 0;
                for (int g = 0; g < part.Reader.RowGroupCount; g++)
                {
                    int rows = checked((int)part.Reader.RowGroups[g].RowCount);
                    groups.Add((parts.Count - 1, g, rows, total + fileRows));
                    fileRows += rows;
                }
                if (fileRows != meta.Rows)
                    throw new DistillException($"{file}: holds {fileRows} rows but its metadata says {meta.Rows}");
                total += fileRows;
            }
            if (!File.Exists(path)) CheckShards(path, files.ToList(), shards);
        }
        catch (Exception e)
        {
            foreach (var p in parts) { Close(p.Reader); p.Stream.Dispose(); }
            if (e is DistillException) throw;
            throw new DistillException($"{path}: not a readable logits cache ({e.GetType().Name}: {e.Message})", e);
        }
        return new LogitCacheReader(path, parts, groups, first! with { Rows = total, Shard = "1/1" }, total);
    }

    private static async Task<Part> OpenPartAsync(string file, CancellationToken ct)
    {
        FileStream stream;
        try { stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot read {file}: {e.Message}", e); }
        ParquetReader? reader = null;
        try
        {
            if (stream.Length < 12) throw new DistillException($"{file}: truncated (not a Parquet file)");
            FooterCheck.Validate(stream, file);
            var footerStream = stream;
            reader = ParseGuard.Run(() => ParquetReader.CreateAsync(footerStream, null, leaveStreamOpen: true, ct),
                TimeSpan.FromSeconds(5), file);
            var meta = CacheMetadata.FromKeyValues(reader.CustomMetadata, file);
            var fields = reader.Schema.Fields;
            DataField? Scalar(string name, Type type) =>
                fields.FirstOrDefault(f => f.Name == name) is DataField d && d.ClrType == type && !d.IsArray ? d : null;
            DataField? List(string name, Type type) =>
                fields.FirstOrDefault(f => f.Name == name) is ListField { Item: DataField item } && item.ClrType == type ? item : null;
            DataField Need(DataField? f, string what) => f ?? throw new DistillException($"{file}: wrong schema (no {what})");
            var index = Need(Scalar(CacheSchema.IndexColumn, typeof(long)), "INT64 column 'index'");
            DataField? logits = null, half = null, topIndex = null, topLogits = null, lse = null;
            switch (meta.Dtype)
            {
                case "float16":
                    half = fields.FirstOrDefault(f => f.Name == CacheSchema.LogitsColumn) is DataField h && !h.IsArray
                        && (h.ClrType == typeof(byte[]) || h.ClrType == typeof(ReadOnlyMemory<byte>)) ? h
                        : throw new DistillException($"{file}: wrong schema (no BYTE_ARRAY column 'logits')");
                    break;
                case "topk":
                    topIndex = Need(List("topk_index", typeof(int)), "LIST<INT32> column 'topk_index'");
                    topLogits = Need(List("topk_logits", typeof(float)), "LIST<FLOAT> column 'topk_logits'");
                    lse = Need(Scalar("logsumexp", typeof(double)), "DOUBLE column 'logsumexp'");
                    if (meta.TopK <= 0 || meta.TopK > meta.ClassCount) throw new DistillException($"{file}: invalid top_k {meta.TopK}");
                    break;
                default: logits = Need(List(CacheSchema.LogitsColumn, typeof(float)), "LIST<FLOAT> column 'logits'"); break;
            }
            if (meta.ClassCount <= 0) throw new DistillException($"{file}: invalid class count {meta.ClassCount}");
            if (meta.Encoding.IsTopK && !meta.IsClassifier) throw new DistillException($"{file}: a top-k cache of a dense output");
            DataField[]? views = meta.HasViews
                ? new[] { CacheSchema.ViewColumn, CacheSchema.CropXColumn, CacheSchema.CropYColumn, CacheSchema.FlipColumn }
                    .Select(c => Need(Scalar(c, typeof(int)), $"INT32 column '{c}'")).ToArray()
                : null;
            var extra = meta.Outputs.Skip(1).Select(o => Need(List(o.Column, typeof(float)), $"LIST<FLOAT> column '{o.Column}'")).ToArray();
            DataField? label = Scalar(CacheSchema.LabelColumn, typeof(int));
            if (meta.HasLabels && label == null) throw new DistillException($"{file}: wrong schema (no INT32 column 'label')");
            return new Part(file, stream, reader, meta, index, label, logits, half, topIndex, topLogits, lse, views, extra,
                new SemaphoreSlim(1));
        }
        catch (Exception e)
        {
            if (reader != null) Close(reader);
            stream.Dispose();
            if (e is DistillException) throw;
            throw new DistillException($"{file}: not a readable Parquet file ({e.GetType().Name}: {e.Message})", e);
        }
    }

    // A sharded cache is usable only when every shard's part is there (each shard writes part-{k-1}).
    private static void CheckShards(string path, List<string> files, List<string> shards)
    {
        var specs = shards.Select(ShardSpec.Parse).ToList();
        int n = specs[0].N;
        if (specs.Any(s => s.N != n))
            throw new DistillException($"cache {path} mixes parts of different shardings ({string.Join(", ", shards)})");
        var present = specs.Select(s => s.K).ToHashSet();
        if (present.Count != specs.Count)
            throw new DistillException($"cache {path} holds the same shard twice");
        var missing = Enumerable.Range(1, n).Where(k => !present.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new DistillException($"cache {path} is incomplete: shard(s) {string.Join(", ", missing.Select(k => $"{k}/{n}"))} missing");
        for (int i = 0; i < files.Count; i++)
            if (System.IO.Path.GetFileName(files[i]) != CacheSchema.PartName(specs[i].PartIndex) && files.Count > 1)
                throw new DistillException($"{files[i]}: holds shard {specs[i]} but is not named {CacheSchema.PartName(specs[i].PartIndex)}");
    }

    /// <summary>Reads row group <paramref name="group"/> (0 ≤ group &lt; RowGroupCount, across all parts).</summary>
    public async Task<LogitBatch> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        var (p, g, rows, _) = _groups[group];
        var part = _parts[p];
        int c = Metadata.ClassCount, w = Metadata.Width;
        await part.Gate.WaitAsync(ct);
        try
        {
            long values = (long)rows * (w + Metadata.Outputs.Skip(1).Sum(o => (long)o.Width));
            if (values > 1L << 28)
                throw new DistillException($"{part.Path}: row group {g} claims {rows} rows × {values / Math.Max(rows, 1)} values (corrupt?)");
            using var rg = part.Reader.OpenRowGroupReader(g);
            var index = new long[rows];
            await rg.ReadRawAsync<long>(part.Index, index, null, null, ct);
            int[]? labels = null;
            if (part.Label != null) await rg.ReadRawAsync<int>(part.Label, labels = new int[rows], null, null, ct);
            var viewColumns = new int[part.ViewFields?.Length ?? 0][];
            for (int v = 0; v < viewColumns.Length; v++)
                await rg.ReadRawAsync<int>(part.ViewFields![v], viewColumns[v] = new int[rows], null, null, ct);
            var logits = new float[(long)rows * w];
            int k = 0;
            int[]? topIndex = null;
            float[]? topLogits = null;
            double[]? lse = null;
            if (part.Logits != null)
                // Every row holds exactly C logits, so the list's values are one contiguous row-major block.
                await ReadFullListsAsync(rg, part.Logits, logits, w, part.Path, g, ct);
            else if (part.Half != null)
            {
                var bytes = new byte[rows][];
                await rg.ReadAsync(part.Half, bytes, null, ct);
                for (int r = 0; r < rows; r++)
                {
                    if (bytes[r] is not { } b || b.Length != 2 * w)
                        throw new DistillException($"{part.Path}: row group {g} row {r} does not hold {w} float16 logits");
                    for (int j = 0; j < w; j++)
                        logits[(long)r * w + j] = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(b.AsSpan(2 * j));
                }
            }
            else
            {
                k = part.Metadata.TopK;
                topIndex = new int[rows * k];
                topLogits = new float[rows * k];
                lse = new double[rows];
                await ReadFullListsAsync(rg, part.TopIndex!, topIndex, k, part.Path, g, ct);
                await ReadFullListsAsync(rg, part.TopLogits!, topLogits, k, part.Path, g, ct);
                await rg.ReadRawAsync<double>(part.LogSumExp!, lse, null, null, ct);
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < k; j++)
                        if ((uint)topIndex[r * k + j] >= (uint)c)
                            throw new DistillException($"{part.Path}: row group {g} holds class {topIndex[r * k + j]} outside [0, {c})");
                    TopK.Complete(topIndex.AsSpan(r * k, k), topLogits.AsSpan(r * k, k), lse[r], logits.AsSpan(r * c, c));
                }
            }
            CheckFinite(logits, w, "logits", index, part.Path, g);
            var extra = new float[part.Extra.Length][];
            for (int j = 0; j < extra.Length; j++)
            {
                var o = Metadata.Outputs[j + 1];
                await ReadFullListsAsync(rg, part.Extra[j], extra[j] = new float[(long)rows * o.Width], o.Width, part.Path, g, ct);
                CheckFinite(extra[j], o.Width, $"'{o.Column}' values", index, part.Path, g);
            }
            if (labels != null)
                foreach (var y in labels)
                    if ((uint)y >= (uint)c) throw new DistillException($"{part.Path}: row group {g} holds label {y} outside [0, {c})");
            if (viewColumns.Length > 0) CheckViews(viewColumns[0], Metadata.Views, part.Path, g);
            return new LogitBatch
            {
                Rows = rows, ClassCount = c, Width = w, Index = index, Labels = labels, Logits = logits,
                Views = viewColumns.ElementAtOrDefault(0), CropX = viewColumns.ElementAtOrDefault(1),
                CropY = viewColumns.ElementAtOrDefault(2), Flip = viewColumns.ElementAtOrDefault(3),
                TopK = k, TopIndex = topIndex, TopLogits = topLogits, LogSumExp = lse, Extra = extra,
            };
        }
        catch (Exception e) when (e is not DistillException and not OperationCanceledException)
        {
            throw new DistillException($"{part.Path}: corrupt row group {g} ({e.GetType().Name}: {e.Message})", e);
        }
        finally { part.Gate.Release(); }
    }

    /// <summary>All row groups in order.</summary>
    public async IAsyncEnumerable<LogitBatch> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        for (int g = 0; g < RowGroupCount; g++) yield return await ReadRowGroupAsync(g, ct);
    }

    /// <summary>
    /// Refuses a cache that was not made from <paramref name="dataset"/>: fingerprint, split, sample count, sample
    /// shape and (when the dataset knows it) class count must agree.
    /// </summary>
    public void Verify(IDataset dataset)
    {
        var m = Metadata;
        if (m.Split != dataset.Split)
            throw new DistillException($"cache {Directory} was made from the '{m.Split}' split, not '{dataset.Split}'");
        if (m.DatasetCount != dataset.Count || m.Fingerprint != dataset.Fingerprint)
            throw new DistillException(
                $"cache {Directory} was made from other data ({m.DatasetName} {m.Split}, {m.DatasetCount} samples, fingerprint {m.Fingerprint[..12]}…) than {dataset.Name} {dataset.Split} ({dataset.Count} samples, fingerprint {dataset.Fingerprint[..12]}…)");
        if (!m.SampleShape.SequenceEqual(dataset.SampleShape))
            throw new DistillException($"cache {Directory} has sample shape [{string.Join(",", m.SampleShape)}], dataset has [{string.Join(",", dataset.SampleShape)}]");
        if (dataset.ClassCount is int k && k > m.ClassCount)
            throw new DistillException($"cache {Directory} has {m.ClassCount} classes but {dataset.Name} has labels up to {k - 1}");
    }

    private static void CheckFinite(float[] values, int width, string what, long[] index, string path, int group)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new DistillException(
                    $"{path}: row group {group} holds {(float.IsNaN(values[i]) ? "NaN" : "infinite")} {what} for sample {index[i / width]} ({(what == "logits" ? "class" : "value")} {i % width})");
    }

    private static void CheckViews(int[] views, int count, string path, int group)
    {
        foreach (var v in views)
            if ((uint)v >= (uint)count) throw new DistillException($"{path}: row group {group} holds view {v} outside [0, {count})");
    }

    private static async Task ReadFullListsAsync<T>(ParquetRowGroupReader rg, DataField field, T[] values, int width,
        string path, int group, CancellationToken ct) where T : struct
    {
        var levels = new int[values.Length];
        var repetitions = new int[values.Length];
        await rg.ReadRawAsync<T>(field, values, levels, repetitions, ct);
        if (!WholeRows(levels, repetitions, width))
            throw new DistillException($"{path}: row group {group} does not hold {width} values in every row of '{field.Name}'");
    }

    // Rows must be full lists: every value defined, a new row exactly every C values.
    private static bool WholeRows(int[] definition, int[] repetition, int c)
    {
        for (int i = 0; i < definition.Length; i++)
            if (definition[i] != 2 || repetition[i] != (i % c == 0 ? 0 : 1)) return false;
        return true;
    }

    private static void Close(ParquetReader reader) => reader.DisposeAsync().AsTask().GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var p in _parts) { Close(p.Reader); p.Stream.Dispose(); p.Gate.Dispose(); }
        _parts.Clear();
    }
}
