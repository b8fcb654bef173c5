using System.CommandLine;
using System.Diagnostics;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// Throughput of the whole tool (read, preprocess, infer, write Parquet) divided by that of a bare ONNX Runtime Run
/// loop over the same preprocessed batches (<see cref="BareRunLoop"/>), same model, batch and threads, measured
/// alternately in one process; then, on the caches it wrote, reading with checksums verified divided by reading
/// without (<see cref="ChecksumReadBench"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "ONNX teacher", Required = true };
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for both", DefaultValueFactory = _ => 2 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating measurements of each", DefaultValueFactory = _ => 3 };
        var limit = new Option<int>("--limit") { Description = "Samples (0: the whole split)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N] for both", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("bench", ToolHelp.Describe(
            "Benchmark precompute-logits against a bare ONNX Runtime Run loop (ratio, goal ≥ 0.95), storing float32, float16 and top-5 logits in several encodings (bytes per sample, throughput ÷ float32's in the same round, goal ≥ 0.97), and reading them with checksums verified against unverified (ratio, goal ≥ 0.97)",
            "precompute-logits bench --teacher models/fmnist-resnet/fmnist-resnet.onnx --limit 4096"));
        foreach (var o in new Option[] { teacher, dataset, split, batch, threads, repeats, limit, device }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var path = r.GetValue(teacher)!;
            var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!);
            int b = r.GetValue(batch), t = ThreadLimit.Check(r.GetValue(threads)), rounds = r.GetValue(repeats);
            if (b < 1 || b > PrecomputeRequest.MaxBatch) throw new DistillException($"--batch must be between 1 and {PrecomputeRequest.MaxBatch}, got {b}");
            if (rounds < 1 || rounds > 100) throw new DistillException($"--repeats must be between 1 and 100, got {rounds}");
            if (r.GetValue(limit) < 0) throw new DistillException($"--limit must be 0 (the whole split) or positive, got {r.GetValue(limit)}");
            int n = r.GetValue(limit) is > 0 and var l ? Math.Min(l, data.Count) : data.Count;
            var pre = SpeedOnlyPreprocessing(path);
            var batches = BareRunLoop.Preprocess(data, pre, n, b);
            var dev = ExecutionDevice.Parse(r.GetValue(device)!);
            if (dev.Kind == "auto") throw new DistillException("bench needs an explicit --device (cpu or cuda)");
            var dir = Path.Combine(Path.GetTempPath(), $"distill-bench-{Environment.ProcessId}");
            var bare = new List<double>();
            // Each round measures the bare loop and then every encoding, so load changes hit all of them alike.
            var encodings = new[]
            {
                ("float32", CacheEncoding.Float32), ("float16", CacheEncoding.Float16),
                ("top-5", CacheEncoding.TopKOf(5)),                                          // float32 values, extras, zstd
                ("top-5-f16", CacheEncoding.Parse(new[] { "float16" }, 5)),                   // float16 values, extras
                ("top-5-f16-lse", CacheEncoding.Parse(new[] { "float16" }, 5, "none")),       // float16 values + log-sum-exp only
                ("top-5-f16-lz4", CacheEncoding.Parse(new[] { "float16" }, 5, compression: "lz4")),
            };
            var speed = encodings.ToDictionary(e => e.Item1, _ => new List<double>());
            var bytes = new Dictionary<string, double>();
            var columnBytes = new Dictionary<string, double>();
            int classes = 0;
            var readRatios = new Dictionary<string, double>();
            try
            {
                for (int i = 0; i < rounds; i++)
                {
                    bare.Add(n / BareRunLoop.Seconds(path, batches, data.SampleShape, t, dev));
                    var line = new System.Text.StringBuilder($"  round {i + 1}: bare {bare[^1]:N0} img/s");
                    foreach (var (name, encoding) in encodings)
                    {
                        var res = await LogitPrecomputer.RunAsync(new PrecomputeRequest
                        {
                            TeacherPath = path, Dataset = data, Preprocessing = pre, OutputDirectory = Path.Combine(dir, name), Device = dev,
                            BatchSize = b, Threads = t, Limit = n, Overwrite = true, Encoding = encoding,
                        }, ct: ct);
                        speed[name].Add(res.ImagesPerSecond);
                        bytes[name] = res.BytesPerSample;
                        classes = res.ClassCount;
                        var sizes = await CacheSizes.OfAsync(new[] { res.File }, ct);
                        columnBytes[name] = sizes.PerRow(sizes.Columns.Single(c => c.Column == CacheSchema.LogitsColumn).Bytes);
                        line.Append($", {name} {res.ImagesPerSecond:N0} img/s");
                        if (name == "float32") line.Append($" (busy: {res.Stages})");
                    }
                    Console.WriteLine(line);
                }
                foreach (var (name, _) in encodings)
                {
                    var reads = await ChecksumReadBench.MeasureAsync(Path.Combine(dir, name), rounds, ct);
                    readRatios[name] = Median(reads.Select(x => x.Verified / x.Unverified).ToList());
                    Console.WriteLine($"  reading {name}: verified {Median(reads.Select(x => x.Verified).ToList()):N0} rows/s, unverified {Median(reads.Select(x => x.Unverified).ToList()):N0} rows/s");
                }
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
            // Paired ratios (each round's run ÷ the same round's bare loop), median over rounds: robust to load drifting.
            double Ratio(string name) => Median(speed[name].Select((v, i) => v / bare[i]).ToList());
            double mb = Median(bare), mo = Median(speed["float32"]);
            Console.WriteLine($"bench: {Path.GetFileName(path)}, {n:N0} × {data.Name} {data.Split}, batch {b}, {t} threads, {dev}, ONNX Runtime {SessionFactory.OnnxRuntimeVersion()}");
            Console.WriteLine($"bare Run loop (median):      {mb:N0} img/s");
            Console.WriteLine($"precompute-logits (median):  {mo:N0} img/s");
            Console.WriteLine($"ratio precompute/bare:       {Ratio("float32"):F3}  (median of per-round ratios; goal ≥ 0.95)");
            // Each encoding against float32 in the same round (goal ≥ 0.97): what storing it costs beyond today's cache.
            double VsFloat32(string name) => Median(speed[name].Select((v, i) => v / speed["float32"][i]).ToList());
            Console.WriteLine($"C = {classes} classes; bytes/sample: the whole file (index, label and footers included) and the logits column's pages");
            Console.WriteLine("encoding        img/s (median)   ÷ bare   ÷ float32   bytes/sample   logits bytes/sample");
            foreach (var (name, _) in encodings)
                Console.WriteLine($"{name,-15} {Median(speed[name]),14:N0} {Ratio(name),8:F3} {VsFloat32(name),11:F3} {bytes[name],14:F1} {columnBytes[name],21:F1}");
            Console.WriteLine("reading with checksums verified ÷ unverified (median of per-round ratios; goal ≥ 0.97): " +
                string.Join(", ", encodings.Select(e => $"{e.Item1} {readRatios[e.Item1]:F3}")));
            return 0;
        });
        return cmd;
    }

    internal static double Median(List<double> x) { var s = x.Order().ToList(); return s[s.Count / 2]; }

    /// <summary>The card's preprocessing, else the raw values: the speed measured does not depend on the pixel values.</summary>
    internal static Preprocessing SpeedOnlyPreprocessing(string teacherPath) =>
        PreprocessingFlags.None.Resolve(TeacherCard.TryLoadFor(teacherPath), null)?.Value ?? Preprocessing.Raw;
}
