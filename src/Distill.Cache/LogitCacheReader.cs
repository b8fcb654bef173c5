using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>
/// Reads a logits cache directory (docs/cache-format.md) row group by row group. Opening validates every part file
/// (schema, metadata and its checksum, row counts) and the parts together (they are one cache, and cover every sample
/// of its range exactly once); reading checks each row group's columns against their checksums and each row's
/// <c>index</c> (and view) against its place. Any problem is a one-line <see cref="DistillException"/> naming the file.
/// Thread-safe: row groups of the same file are read one at a time.
/// </summary>
public sealed class LogitCacheReader : IDisposable
{
    private sealed record Part(string Path, FileStream Stream, ParquetReader Reader, CacheMetadata Metadata,
        RowGroupChecksums Checksums, DataField Index, DataField? Label, DataField[]? ViewFields, ColumnDecoder[] Columns,
        SemaphoreSlim Gate);

    private readonly List<Part> _parts;
    // FirstRow: the row number (sample × views + view) the group's first row must have.
    private readonly List<(int Part, int Group, int Rows, long FirstRow)> _groups;

    public string Directory { get; }
    /// <summary>The whole cache's metadata: shard 1/1, all its rows.</summary>
    public CacheMetadata Metadata { get; }
    /// <summary>The metadata of each part file, in file order (their shard and rows).</summary>
    public IReadOnlyList<CacheMetadata> PartMetadata => _parts.Select(p => p.Metadata).ToList();
    public long RowCount { get; }
    public int RowGroupCount => _groups.Count;
    public IReadOnlyList<string> Files => _parts.Select(p => p.Path).ToList();
    /// <summary>
    /// Whether <see cref="ReadRowGroupAsync"/> checks every column against its checksum (default). Only for
    /// measuring what the check costs (precompute-logits bench).
    /// </summary>
    public bool VerifyChecksums { get; set; } = true;

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

    /// <summary>Opens a cache directory.</summary>
    public static LogitCacheReader Open(string path) => OpenAsync(path).GetAwaiter().GetResult();

    /// <summary>
    /// Opens the cache directory <paramref name="path"/>. A cache is always a directory: a part file or a resume
    /// segment given alone is refused, since it cannot show that the rows it belongs with are all there.
    /// </summary>
    public static async Task<LogitCacheReader> OpenAsync(string path, CancellationToken ct = default)
    {
        if (File.Exists(path))
            throw new DistillException($"cache {path} is a file; a cache is the directory that holds its part-*.parquet files{(Path.GetFileName(path).StartsWith("part-", StringComparison.Ordinal) ? $" ({Path.GetDirectoryName(Path.GetFullPath(path))})" : "")}");
        if (!System.IO.Directory.Exists(path)) throw new DistillException($"cache {path} not found");
        var files = CacheLayout.Parts(path);
        if (files.Length == 0)
        {
            var running = CacheLayout.DescribeRunsInProgress(path);
            throw new DistillException(running != ""
                ? $"cache {path} is incomplete: a precompute-logits run is in progress or was interrupted ({running}); finish it with --resume"
                : $"cache {path} holds no part-*.parquet files");
        }

        var parts = new List<Part>();
        try
        {
            foreach (var file in files) parts.Add(await OpenPartAsync(file, segment: false, ct));
            CheckOneCache(path, parts);
        }
        catch (Exception e)
        {
            foreach (var p in parts) Close(p);
            if (e is DistillException) throw;
            throw new DistillException($"{path}: not a readable logits cache ({e.Message})", e);
        }
        var first = parts[0].Metadata;
        var groups = new List<(int, int, int, long)>();
        foreach (var (part, i) in parts.Select((p, i) => (p, i)))
        {
            long row = part.Metadata.RowRange.First;
            for (int g = 0; g < part.Reader.RowGroupCount; g++)
            {
                int rows = (int)part.Checksums.Rows(g);
                groups.Add((i, g, rows, row));
                row += rows;
            }
        }
        long total = parts.Sum(p => p.Metadata.Rows);
        return new LogitCacheReader(path, parts, groups, first with { Rows = total, Shard = "1/1" }, total);
    }

    /// <summary>
    /// Opens one resume segment of a run in progress, whose rows start at row <paramref name="firstRow"/> (default:
    /// the row its name gives). Only the write session (and tests) do this; users always open a directory.
    /// </summary>
    internal static async Task<LogitCacheReader> OpenSegmentAsync(string file, long? firstRow = null, CancellationToken ct = default)
    {
        long row = firstRow ?? CacheLayout.SegmentFirstRow(file)
            ?? throw new DistillException($"{file}: not a resume segment (named seg-ROW.parquet)");
        var part = await OpenPartAsync(file, segment: true, ct);
        var groups = new List<(int, int, int, long)>();
        for (int g = 0; g < part.Reader.RowGroupCount; g++)
        {
            int rows = (int)part.Checksums.Rows(g);
            groups.Add((0, g, rows, row));
            row += rows;
        }
        return new LogitCacheReader(file, new List<Part> { part }, groups, part.Metadata, part.Metadata.Rows);
    }

    /// <summary>The metadata of one part or segment file (its footer only).</summary>
    internal static async Task<CacheMetadata> ReadMetadataAsync(string file, CancellationToken ct = default)
    {
        var part = await OpenPartAsync(file, segment: true, ct);
        Close(part);
        return part.Metadata;
    }

    // The parts must be one cache: each where its name says, together covering [0, TotalSamples) exactly once, all
    // made by the same request.
    private static void CheckOneCache(string path, List<Part> parts)
    {
        foreach (var p in parts)
            if (Path.GetFileName(p.Path) != CacheSchema.PartName(p.Metadata.ShardSpec.PartIndex))
                throw new DistillException($"{p.Path}: holds shard {p.Metadata.Shard} but is not named {CacheSchema.PartName(p.Metadata.ShardSpec.PartIndex)}");
        var first = parts[0].Metadata;
        if (parts.All(p => p.Metadata.ShardSpec.N == first.ShardSpec.N && p.Metadata.TotalSamples == first.TotalSamples))
        {
            var missing = Enumerable.Range(1, first.ShardSpec.N).Except(parts.Select(p => p.Metadata.ShardSpec.K)).ToList();
            if (missing.Count > 0)
                throw new DistillException($"cache {path} is incomplete: shard(s) {string.Join(", ", missing.Select(k => $"{k}/{first.ShardSpec.N}"))} missing");
        }
        else CheckCoverage(path, parts);
        foreach (var p in parts.Skip(1))
            if (first.Differences(p.Metadata) is { Count: > 0 } diffs)
                throw new DistillException($"cache {path} mixes parts of different caches: {MetadataDifference.Describe(diffs, Path.GetFileName(parts[0].Path), Path.GetFileName(p.Path))}");
    }

    // Parts of different shardings or limits: walk their sample ranges in order and name the first sample that no
    // part holds (a gap) or that two parts hold (a duplicate).
    private static void CheckCoverage(string path, List<Part> parts)
    {
        string Describe(Part p) => $"{Path.GetFileName(p.Path)} holds samples {p.Metadata.SampleRange.First}..{p.Metadata.SampleRange.End - 1} (shard {p.Metadata.Shard} of {p.Metadata.TotalSamples})";
        int next = 0;
        Part? previous = null;
        foreach (var p in parts.OrderBy(p => p.Metadata.SampleRange.First).ThenBy(p => p.Metadata.SampleRange.End))
        {
            var (start, end) = p.Metadata.SampleRange;
            if (start == end) continue;
            if (start > next)
                throw new DistillException($"cache {path} does not hold every sample exactly once: samples {next}..{start - 1} are in no part (a gap; {(previous == null ? "" : Describe(previous) + ", ")}{Describe(p)})");
            if (start < next)
                throw new DistillException($"cache {path} does not hold every sample exactly once: sample {start} is in two parts (a duplicate; {Describe(previous!)}, {Describe(p)})");
            next = end;
            previous = p;
        }
        int total = parts.Max(p => p.Metadata.TotalSamples);
        if (next < total)
            throw new DistillException($"cache {path} does not hold every sample exactly once: samples {next}..{total - 1} are in no part (a gap{(previous == null ? "" : "; " + Describe(previous))})");
    }

    private static async Task<Part> OpenPartAsync(string file, bool segment, CancellationToken ct)
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
            var schema = reader.Schema;
            if (meta.ClassCount <= 0) throw new DistillException($"{file}: invalid class count {meta.ClassCount}");
            var index = ColumnReadContext.Scalar(schema, CacheSchema.IndexColumn, typeof(long), "INT64", file);
            DataField[]? views = meta.HasViews
                ? new[] { CacheSchema.ViewColumn, CacheSchema.CropXColumn, CacheSchema.CropYColumn, CacheSchema.FlipColumn }
                    .Select(c => ColumnReadContext.Scalar(schema, c, typeof(int), "INT32", file)).ToArray()
                : null;
            DataField? label = meta.HasLabels ? ColumnReadContext.Scalar(schema, CacheSchema.LabelColumn, typeof(int), "INT32", file) : null;
            var columns = meta.Outputs.Zip(meta.ColumnCodecs).Select(p => p.Second.CreateDecoder(p.First, schema, meta.HasLabels, meta.ClassCount, file)).ToArray();
            var checksums = reader.CustomMetadata.TryGetValue(CacheMetadata.ChecksumsKey, out var json)
                ? RowGroupChecksums.Parse(json, file)
                : throw new DistillException($"{file}: not a logits cache (metadata '{CacheMetadata.ChecksumsKey}' missing)");
            // Every column handed out is checksummed, and nothing else is claimed to be.
            var read = new[] { index, label }.Concat(views ?? Array.Empty<DataField>()).OfType<DataField>().Select(f => f.Name)
                .Concat(meta.Outputs.Zip(meta.ColumnCodecs).SelectMany(p => p.Second.Fields(p.First)).Select(f => f.Name)).ToHashSet();
            if (!read.SetEquals(checksums.Columns))
                throw new DistillException($"{file}: metadata '{CacheMetadata.ChecksumsKey}' covers columns [{string.Join(", ", checksums.Columns)}], the file holds [{string.Join(", ", read)}]");
            if (checksums.Count != reader.RowGroupCount)
                throw new DistillException($"{file}: holds {reader.RowGroupCount} row groups but checksums for {checksums.Count}");
            long fileRows = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                if (reader.RowGroups[g].RowCount != checksums.Rows(g))
                    throw new DistillException($"{file}: row group {g} holds {reader.RowGroups[g].RowCount} rows but its checksum entry {checksums.Rows(g)}");
                fileRows += reader.RowGroups[g].RowCount;
            }
            if (fileRows != meta.Rows)
                throw new DistillException($"{file}: holds {fileRows} rows but its metadata says {meta.Rows}");
            var (firstRow, endRow) = meta.RowRange;
            if (!segment && fileRows != endRow - firstRow)
                throw new DistillException($"{file}: holds {fileRows} rows, but shard {meta.Shard} of {meta.TotalSamples} samples × {meta.Views} views is {endRow - firstRow} rows");
            return new Part(file, stream, reader, meta, checksums, index, label, views, columns, new SemaphoreSlim(1));
        }
        catch (Exception e)
        {
            if (reader != null) Close(reader);
            stream.Dispose();
            if (e is DistillException) throw;
            throw new DistillException($"{file}: not a readable Parquet file ({e.Message})", e);
        }
    }

    /// <summary>
    /// Reads row group <paramref name="group"/> (0 ≤ group &lt; RowGroupCount, across all parts), checking its
    /// columns against their checksums and every row's index (and view) against the row's place in the cache.
    /// </summary>
    public async Task<LogitBatch> ReadRowGroupAsync(int group, CancellationToken ct = default)
    {
        var (p, g, rows, firstRow) = _groups[group];
        var part = _parts[p];
        int c = Metadata.ClassCount, w = Metadata.Width;
        var crc = VerifyChecksums ? new Dictionary<string, uint>() : null;
        await part.Gate.WaitAsync(ct);
        try
        {
            long count = (long)rows * Metadata.Outputs.Sum(o => (long)o.Width);
            if (count > 1L << 28)
                throw new DistillException($"{part.Path}: row group {g} claims {rows} rows × {count / Math.Max(rows, 1)} values (corrupt?)");
            using var rg = part.Reader.OpenRowGroupReader(g);
            var r = new ColumnReadContext(rg, crc, part.Path, g);
            var index = new long[rows];
            await r.ReadScalarsAsync(part.Index, index, ct);
            int[]? labels = null;
            if (part.Label != null) await r.ReadScalarsAsync(part.Label, labels = new int[rows], ct);
            var viewColumns = new int[part.ViewFields?.Length ?? 0][];
            for (int v = 0; v < viewColumns.Length; v++)
                await r.ReadScalarsAsync(part.ViewFields![v], viewColumns[v] = new int[rows], ct);
            var decode = new Func<(float[] Values, EncodedRows? Stored)>[part.Columns.Length];
            for (int j = 0; j < decode.Length; j++) decode[j] = await part.Columns[j].ReadAsync(r, rows, labels, ct);
            // The checksums first: a mismatch is corruption, whatever the values would say.
            if (crc != null) part.Checksums.Verify(g, crc, part.Path);
            CheckRowNumbers(index, viewColumns.ElementAtOrDefault(0), firstRow, part.Path, g);
            // Labels before the columns' own checks: a top-K column's label logit belongs to the row's label.
            if (labels != null)
                foreach (var y in labels)
                    if ((uint)y >= (uint)c) throw r.Corrupt($"holds label {y} outside [0, {c})");
            var values = new float[decode.Length][];
            var encoded = new EncodedRows?[decode.Length];
            for (int j = 0; j < decode.Length; j++) (values[j], encoded[j]) = decode[j]();
            for (int j = 0; j < values.Length; j++)
                r.CheckFinite(values[j], Metadata.Outputs[j].Width, Metadata.Outputs[j].Column, index);
            if (viewColumns.Length > 0) CheckViews(viewColumns[0], Metadata.Views, part.Path, g);
            return new LogitBatch
            {
                Rows = rows, ClassCount = c, Width = w, Index = index, Labels = labels, Logits = values[0],
                Views = viewColumns.ElementAtOrDefault(0), CropX = viewColumns.ElementAtOrDefault(1),
                CropY = viewColumns.ElementAtOrDefault(2), Flip = viewColumns.ElementAtOrDefault(3),
                Extra = values.Skip(1).ToArray(), Encoded = encoded,
            };
        }
        catch (Exception e) when (e is not DistillException and not OperationCanceledException)
        {
            throw new DistillException($"{part.Path}: row group {g} is corrupt ({e.Message})", e);
        }
        finally { part.Gate.Release(); }
    }

    // Row r of a group must be row firstRow + r of the cache: sample (firstRow + r) / views, view (firstRow + r) % views.
    // The first row that is not names the offending index: a smaller one is a duplicate (or out of order), a larger
    // one follows a gap.
    private void CheckRowNumbers(long[] index, int[]? views, long firstRow, string path, int group)
    {
        int v = Metadata.Views;
        for (int r = 0; r < index.Length; r++)
        {
            long expected = firstRow + r, actual = index[r] * v + (views?[r] ?? 0);
            if (actual == expected) continue;
            string Row(long row) => v > 1 ? $"index {row / v} view {row % v}" : $"index {row}";
            string at = views != null && (uint)views[r] >= (uint)v ? $"index {index[r]} view {views[r]}" : Row(actual);
            throw new DistillException(
                $"{path}: row group {group} row {r} holds {at} where {Row(expected)} belongs ({(actual < expected ? "a duplicate or out of order" : "a gap")}; first offending index {index[r]})");
        }
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

    private static void CheckViews(int[] views, int count, string path, int group)
    {
        foreach (var v in views)
            if ((uint)v >= (uint)count) throw new DistillException($"{path}: row group {group} holds view {v} outside [0, {count})");
    }

    private static void Close(ParquetReader reader) => reader.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void Close(Part p) { Close(p.Reader); p.Stream.Dispose(); p.Gate.Dispose(); }

    public void Dispose()
    {
        foreach (var p in _parts) Close(p);
        _parts.Clear();
    }
}
