using Distill.Cache;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>Validates a cache and summarizes it (the `inspect` subcommand); with verify, reads every row group back.</summary>
internal static class CacheSummary
{
    public sealed record Stats(long Rows, int Classes, double? Accuracy, long Bytes, CacheMetadata Metadata, string[] Files,
        int? VerifiedRowGroups, CacheSizes Sizes);

    public static async Task<Stats> ComputeAsync(string dir, bool verify, CancellationToken ct = default)
    {
        using var cache = await LogitCacheReader.OpenAsync(dir, ct);
        long correct = 0, labelled = 0;
        int c = cache.Metadata.ClassCount;
        long bytes = cache.Files.Sum(f => new FileInfo(f).Length);
        var sizes = await CacheSizes.OfAsync(cache.Files, ct);
        if (!verify) return new Stats(cache.RowCount, c, null, bytes, cache.Metadata, cache.Files.ToArray(), null, sizes);
        await foreach (var b in cache.ReadAllAsync(ct))
        {
            if (b.Labels == null || !cache.Metadata.IsClassifier) continue;
            for (int r = 0; r < b.Rows; r++)
            {
                if (b.RowArgMax(r) == b.Labels[r]) correct++;
                labelled++;
            }
        }
        return new Stats(cache.RowCount, c, labelled > 0 ? (double)correct / labelled : null, bytes, cache.Metadata,
            cache.Files.ToArray(), cache.RowGroupCount, sizes);
    }

    public static void Print(Stats s)
    {
        var m = s.Metadata;
        Console.WriteLine($"cache:        {string.Join(", ", s.Files)}");
        foreach (var (t, i) in m.AllTeachers.Select((t, i) => (t, i)))
            Console.WriteLine($"teacher:      {t.File} (sha256 {t.Sha256[..16]}…), input '{m.InputName}'{(m.AllTeachers.Count > 1 && i == 0 ? $"; ensemble: {m.Ensemble}" : "")}");
        foreach (var (o, codec) in m.Outputs.Zip(m.ColumnCodecs))
            Console.WriteLine($"output:       '{o.Name}'{(o.Teacher < 0 ? " (ensemble " + m.Ensemble + ")" : m.AllTeachers.Count > 1 ? $" of teacher {o.Teacher}" : "")} [{string.Join(",", o.Shape)}] in column '{o.Column}', {codec.Describe(o)}"
                + (m.Detection?.GetValueOrDefault(o.Column) is { } head ? $"; detection head: {head}" : ""));
        if (m.HasViews) Console.WriteLine($"views:        {m.Views} per sample, augment '{m.Augment}', seed {m.AugmentSeed}");
        Console.WriteLine($"dataset:      {m.DatasetName} {m.Split}, {m.DatasetCount:N0} samples [{string.Join(",", m.SampleShape)}], fingerprint {m.Fingerprint[..16]}…");
        Console.WriteLine($"preprocess:   {m.Preprocessing}");
        Console.WriteLine($"rows:         {s.Rows:N0} × {s.Classes} classes; compression {m.Compression.Name()}");
        Console.WriteLine($"size:         {s.Bytes:N0} bytes ({(double)s.Bytes / Math.Max(1, s.Rows):F1} bytes/sample)");
        PrintSizes(s.Sizes);
        Console.WriteLine($"onnxruntime:  {m.OnnxRuntimeVersion}; made by: {m.CommandLine}");
        if (m.Limit > 0) Console.WriteLine($"limit:        the first {m.Limit:N0} of {m.DatasetCount:N0} samples");
        if (s.VerifiedRowGroups is int groups)
            Console.WriteLine($"verified:     all {groups:N0} row groups ({s.Rows:N0} rows) read back; every column matches its checksum and every row its index");
        else Console.WriteLine("verified:     metadata and coverage only (pass --verify to read every row group)");
        if (s.Accuracy is double a) Console.WriteLine($"teacher top-1 (read from the cache): {a:F4}");
    }

    /// <summary>Bytes per sample of each column's pages and of the footers (fixed per file, so they shrink with more rows).</summary>
    public static void PrintSizes(CacheSizes sizes)
    {
        if (sizes.Rows == 0) return;
        var rows = sizes.Columns.Select(c => (c.Column, sizes.PerRow(c.Bytes), c.Encoding))
            .Append(("footers", sizes.PerRow(sizes.FooterBytes), "schema, metadata, checksums: fixed per file")).ToList();
        int width = rows.Max(r => r.Item1.Length);
        for (int i = 0; i < rows.Count; i++)
            Console.WriteLine($"{(i == 0 ? "bytes/sample:" : ""),-14}{rows[i].Item1.PadRight(width)} {rows[i].Item2,10:F2}  {rows[i].Item3}");
    }
}
