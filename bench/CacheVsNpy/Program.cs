using Distill.Cache;
using Distill.Data;

// CacheVsNpy CACHE OUTPUT=FILE.npy[:abs=A][:rel=R] ...
// For each named output, the cached rows (in dataset order) against the array's first rows: max |Δ| and max
// |Δ| / max(|x|, 1e-3). A bound given with abs= or rel= is checked (|Δ| ≤ A, or |Δ| ≤ R·max(|x|, 1e-3)); exit code 1
// when one is exceeded. Used by models/fmnist-scenes/check_cache.sh (acceptance 2 of the multi-task teacher).
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: CacheVsNpy CACHE OUTPUT=FILE.npy[:abs=A][:rel=R] ...");
    return 2;
}
try
{
    using var cache = await LogitCacheReader.OpenAsync(args[0]);
    var outputs = cache.Metadata.Outputs.Select(o => o.Name).ToList();
    var rows = new Dictionary<long, float[][]>();
    await foreach (var b in cache.ReadAllAsync())
        for (int r = 0; r < b.Rows; r++)
        {
            var columns = new float[outputs.Count][];
            for (int j = 0; j < outputs.Count; j++)
            {
                var data = j == 0 ? b.Logits : b.Extra[j - 1];
                int width = data.Length / b.Rows;
                columns[j] = data.AsSpan(r * width, width).ToArray();
            }
            rows[b.Index[r]] = columns;
        }
    bool ok = true;
    foreach (var spec in args.Skip(1))
    {
        var parts = spec.Split(':');
        var (name, file) = (parts[0].Split('=', 2)[0], parts[0].Split('=', 2)[1]);
        double? abs = null, rel = null;
        foreach (var p in parts.Skip(1))
        {
            var kv = p.Split('=', 2);
            if (kv[0] == "abs") abs = double.Parse(kv[1]); else if (kv[0] == "rel") rel = double.Parse(kv[1]);
            else throw new DistillException($"unknown bound '{p}' (abs=A or rel=R)");
        }
        int column = outputs.IndexOf(name);
        if (column < 0) throw new DistillException($"the cache has no output '{name}' (it has {string.Join(", ", outputs)})");
        var expected = DatasetCatalog.Open("npy:" + file, "train");
        int n = rows.Count, width = expected.SampleSize();
        if (expected.Count < n) throw new DistillException($"{file} has {expected.Count} rows, the cache {n}");
        var x = new float[width];
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < n; i++)
        {
            if (!rows.TryGetValue(i, out var row)) throw new DistillException($"the cache has no row for sample {i}");
            if (row[column].Length != width) throw new DistillException($"{name}: cache rows hold {row[column].Length} values, {file} {width}");
            expected.ReadSamples(i, 1, x);
            for (int k = 0; k < width; k++)
            {
                double d = Math.Abs(row[column][k] - (double)x[k]);
                maxAbs = Math.Max(maxAbs, d);
                maxRel = Math.Max(maxRel, d / Math.Max(Math.Abs(x[k]), 1e-3));
            }
        }
        bool pass = (abs is null || maxAbs <= abs) && (rel is null || maxRel <= rel);
        ok &= pass;
        Console.WriteLine($"{name} ({cache.Metadata.LogitsCodec.Describe(cache.Metadata.Outputs[0])}): {n} rows x {width} values, max |diff| {maxAbs:E2}, max relative {maxRel:E2}" +
            (abs is null && rel is null ? "" : $" -> {(pass ? "ok" : "EXCEEDS")} ({string.Join(", ", new[] { abs is null ? null : $"abs {abs:G3}", rel is null ? null : $"rel {rel:G3}" }.OfType<string>())})"));
    }
    return ok ? 0 : 1;
}
catch (DistillException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
