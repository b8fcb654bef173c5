using System.CommandLine;
using System.Diagnostics;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// Throughput of the whole tool (read, preprocess, infer, write Parquet) divided by that of a bare ONNX Runtime Run
/// loop over the same preprocessed batches, same model, batch and threads, measured alternately in one process.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "ONNX teacher", DefaultValueFactory = _ => "models/fmnist-resnet/fmnist-resnet.onnx" };
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for both", DefaultValueFactory = _ => 2 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating measurements of each", DefaultValueFactory = _ => 3 };
        var limit = new Option<int>("--limit") { Description = "Samples (0: the whole split)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N] for both", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("bench", "Benchmark precompute-logits against a bare ONNX Runtime Run loop (ratio, goal ≥ 0.95), storing float32, float16 and top-5 logits (bytes per sample)");
        foreach (var o in new Option[] { teacher, dataset, split, batch, threads, repeats, limit, device }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var path = r.GetValue(teacher)!;
            var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!);
            int b = r.GetValue(batch), t = r.GetValue(threads), n = r.GetValue(limit) is > 0 and var l ? Math.Min(l, data.Count) : data.Count;
            var pre = TeacherCard.Resolve(TeacherCard.TryLoadFor(path), null, null, null);
            var batches = Preprocess(data, pre, n, b);
            var dev = ExecutionDevice.Parse(r.GetValue(device)!);
            if (dev.Kind == "auto") throw new DistillException("bench needs an explicit --device (cpu or cuda)");
            var dir = Path.Combine(Path.GetTempPath(), $"distill-bench-{Environment.ProcessId}");
            var bare = new List<double>();
            // Each round measures the bare loop and then every encoding, so load changes hit all of them alike.
            var encodings = new[] { ("float32", CacheEncoding.Float32), ("float16", CacheEncoding.Float16), ("top-5", CacheEncoding.TopKOf(5)) };
            var speed = encodings.ToDictionary(e => e.Item1, _ => new List<double>());
            var bytes = new Dictionary<string, double>();
            try
            {
                for (int i = 0; i < r.GetValue(repeats); i++)
                {
                    bare.Add(n / BareLoopSeconds(path, batches, data.SampleShape, t, dev));
                    var line = new System.Text.StringBuilder($"  round {i + 1}: bare {bare[^1]:N0} img/s");
                    foreach (var (name, encoding) in encodings)
                    {
                        var res = await LogitPrecomputer.RunAsync(new PrecomputeRequest
                        {
                            TeacherPath = path, Dataset = data, Preprocessing = pre, OutputDirectory = dir, Device = dev,
                            BatchSize = b, Threads = t, Limit = n, Overwrite = true, Encoding = encoding,
                        }, ct: ct);
                        speed[name].Add(res.ImagesPerSecond);
                        bytes[name] = res.BytesPerSample;
                        line.Append($", {name} {res.ImagesPerSecond:N0} img/s");
                        if (name == "float32") line.Append($" (busy: {res.Stages})");
                    }
                    Console.WriteLine(line);
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
            Console.WriteLine("encoding   img/s (median)   ÷ bare   bytes/sample");
            foreach (var (name, _) in encodings)
                Console.WriteLine($"{name,-9} {Median(speed[name]),14:N0} {Ratio(name),8:F3} {bytes[name],14:F1}");
            return 0;
        });
        return cmd;
    }

    internal static List<float[]> Preprocess(IDataset data, Preprocessing pre, int n, int batch)
    {
        int size = data.SampleSize();
        var list = new List<float[]>();
        for (int start = 0; start < n; start += batch)
        {
            int k = Math.Min(batch, n - start);
            var buf = new float[k * size];
            data.ReadSamples(start, k, buf);
            for (int i = 0; i < k; i++) pre.Apply(buf.AsSpan(i * size, size), data.SampleShape[0]);
            list.Add(buf);
        }
        return list;
    }

    // The baseline: one session, inputs already preprocessed, output buffers reused, nothing else.
    internal static double BareLoopSeconds(string path, List<float[]> batches, int[] sample, int threads, ExecutionDevice device)
    {
        using var options = SessionFactory.CreateOptions(device, threads, _ => { }, out _);
        using var session = new InferenceSession(path, options);
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int classes = session.OutputMetadata[output].Dimensions[1];
        var inputs = batches.Select(x => OrtValue.CreateTensorValueFromMemory(x,
            new long[] { x.Length / sample.Aggregate(1, (a, c) => a * c) }.Concat(sample.Select(s => (long)s)).ToArray())).ToList();
        var outBuf = new float[batches[0].Length / sample.Aggregate(1, (a, c) => a * c) * classes];
        using var runOptions = new RunOptions();
        try
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < inputs.Count; i++)
            {
                long rows = inputs[i].GetTensorTypeAndShape().Shape[0];
                using var o = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outBuf.AsMemory(0, (int)rows * classes), new[] { rows, classes });
                session.Run(runOptions, new[] { input }, new[] { inputs[i] }, new[] { output }, new[] { o });
            }
            return watch.Elapsed.TotalSeconds;
        }
        finally { foreach (var v in inputs) v.Dispose(); }
    }

    internal static double Median(List<double> x) { var s = x.Order().ToList(); return s[s.Count / 2]; }
}
