using System.CommandLine;
using Distill.Cache;
using Distill.Data;

namespace Distill.Tools.TrainStudent;

/// <summary>
/// <c>train-student make-synthetic</c>: a synthetic npy dataset (x.npy [N, D] float32, y.npy [N] int64) and a matching
/// float32 logits cache with C classes, for the memory benchmark (bench/train/memory.sh) without a teacher model.
/// </summary>
internal static class SyntheticCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Directory for x.npy, y.npy and cache/", Required = true };
        var rows = new Option<int>("--rows") { Description = "Samples", DefaultValueFactory = _ => 1_000_000 };
        var features = new Option<int>("--features") { Description = "Features per sample", DefaultValueFactory = _ => 32 };
        var classes = new Option<int>("--classes") { Description = "Classes (logits per row)", DefaultValueFactory = _ => 1000 };
        var cmd = new Command("make-synthetic", ToolHelp.Describe("Write a synthetic npy dataset and its logits cache (for the memory benchmark)",
            "train-student make-synthetic --out data/synthetic --rows 100000 --classes 1000"));
        cmd.Options.Add(outDir); cmd.Options.Add(rows); cmd.Options.Add(features); cmd.Options.Add(classes);
        cmd.SetAction(async (ParseResult p, CancellationToken ct) =>
        {
            await RunAsync(p.GetValue(outDir)!, p.GetValue(rows), p.GetValue(features), p.GetValue(classes), ct);
            return 0;
        });
        return cmd;
    }

    private static async Task RunAsync(string dir, int n, int d, int c, CancellationToken ct)
    {
        if (n < 1 || d < 1 || c < 2) throw new DistillException("--rows, --features must be ≥ 1 and --classes ≥ 2");
        Directory.CreateDirectory(dir);
        string x = Path.Combine(dir, "x.npy"), y = Path.Combine(dir, "y.npy");
        var labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = (long)((uint)(i * 2654435761u) % (uint)c);
        // Feature j of sample i carries its label in a few dimensions plus deterministic noise.
        NpyDataset.WriteFloat32(x, new long[] { n, d }, k =>
        {
            long i = k / d; int j = (int)(k % d);
            float noise = (float)(((k * 2862933555777941757L + 3037000493L) >>> 40) & 0xFFFF) / 65536f - 0.5f;
            return noise + ((labels[i] >> (j % 10)) & 1);
        });
        NpyDataset.WriteInt64(y, labels);
        using var ds = NpyDataset.Open($"npy:{x},{y}", $"{x},{y}", "train");
        var meta = new CacheMetadata
        {
            TeacherFile = "synthetic", TeacherSha256 = new string('0', 64),
            Outputs = new[] { new CacheOutput("logits", "logits", new[] { c }) }, ClassCount = c,
            DatasetName = ds.Name, Split = "train", DatasetCount = n, Fingerprint = ds.Fingerprint, SampleShape = ds.SampleShape,
            Preprocessing = new Preprocessing(1.0, new[] { 0.0 }, new[] { 1.0 }), InputName = "input", HasLabels = true,
            CommandLine = "train-student make-synthetic",
        };
        var cacheDir = Path.Combine(dir, "cache");
        await using var w = await LogitCacheWriter.CreateAsync(cacheDir, meta, overwrite: true, ct: ct);
        const int chunk = 2048;
        var idx = new long[chunk]; var lab = new int[chunk]; var logits = new float[chunk * c];
        var rng = new Random(1);
        for (int start = 0; start < n; start += chunk)
        {
            int m = Math.Min(chunk, n - start);
            for (int r = 0; r < m; r++)
            {
                idx[r] = start + r; lab[r] = (int)labels[start + r];
                var row = logits.AsSpan(r * c, c);
                for (int k = 0; k < c; k++) row[k] = (float)rng.NextDouble();
                row[lab[r]] += 5;
            }
            await w.WriteAsync(idx.AsMemory(0, m), lab.AsMemory(0, m), logits.AsMemory(0, m * c), ct: ct);
        }
        await w.CompleteAsync(ct);
        Console.WriteLine($"wrote {x} [{n},{d}], {y}, {cacheDir} ({n} × {c} float32 logits)");
    }
}
