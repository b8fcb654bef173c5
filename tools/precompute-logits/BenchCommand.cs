using System.CommandLine;
using System.Diagnostics;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// Throughput of the whole tool (read, preprocess, infer, write Parquet) divided by that of a bare ONNX Runtime Run
/// loop over the same preprocessed batches, same model, batch and threads, measured alternately in one process, for
/// each cache encoding (float32, float16, top-K): every round runs the bare loop and then the three, in that order,
/// so slow phases of a noisy machine hit all four alike.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "ONNX teacher", DefaultValueFactory = _ => "models/fmnist-resnet/fmnist-resnet.onnx" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset spec, as for precompute-logits", DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for both", DefaultValueFactory = _ => 2 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating measurements of each", DefaultValueFactory = _ => 3 };
        var limit = new Option<int>("--limit") { Description = "Samples (0: the whole split)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N] for both", DefaultValueFactory = _ => "cpu" };
        var topK = new Option<int>("--top-k") { Description = "K of the top-K row", DefaultValueFactory = _ => 5 };
        var cmd = new Command("bench", "Benchmark precompute-logits (float32, float16, top-K caches) against a bare ONNX Runtime Run loop (ratio, goal ≥ 0.95)");
        foreach (var o in new Option[] { teacher, dataset, split, batch, threads, repeats, limit, device, topK }) cmd.Options.Add(o);
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
            (string Name, CacheEncoding Encoding)[] encodings =
                { ("float32", CacheEncoding.Float32), ("float16", CacheEncoding.Float16), ($"top-{r.GetValue(topK)}", CacheEncoding.TopKOf(r.GetValue(topK))) };
            var bare = new List<double>();
            var ours = encodings.Select(_ => new List<double>()).ToArray();
            var bytes = new double[encodings.Length];
            try
            {
                for (int i = 0; i < r.GetValue(repeats); i++)
                {
                    bare.Add(n / BareLoopSeconds(path, batches, data.SampleShape, t, dev));
                    Console.WriteLine($"  round {i + 1}: bare {bare[^1]:N0} img/s");
                    for (int e = 0; e < encodings.Length; e++)
                    {
                        var res = await LogitPrecomputer.RunAsync(new PrecomputeRequest
                        {
                            TeacherPath = path, Dataset = data, Preprocessing = pre, OutputDirectory = dir, Device = dev,
                            BatchSize = b, Threads = t, Limit = n, Overwrite = true, Encoding = encodings[e].Encoding,
                        }, ct: ct);
                        ours[e].Add(res.ImagesPerSecond);
                        bytes[e] = res.BytesPerSample;
                        Console.WriteLine($"           {encodings[e].Name,-8} {ours[e][^1],7:N0} img/s ({res.BytesPerSample:F1} bytes/sample; busy: {res.Stages})");
                    }
                }
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
            double mb = Median(bare), mo = Median(ours[0]);
            Console.WriteLine($"bench: {Path.GetFileName(path)}, {n:N0} × {data.Name} {data.Split}, batch {b}, {t} threads, {dev}, ONNX Runtime {SessionFactory.OnnxRuntimeVersion()}");
            Console.WriteLine($"bare Run loop (median):      {mb:N0} img/s");
            Console.WriteLine($"precompute-logits (median):  {mo:N0} img/s");
            Console.WriteLine($"ratio precompute/bare:       {mo / mb:F3}  (goal ≥ 0.95)");
            Console.WriteLine();
            Console.WriteLine("encoding   img/s (median)   ratio to bare   bytes/sample");
            for (int e = 0; e < encodings.Length; e++)
            {
                double m = Median(ours[e]);
                Console.WriteLine($"{encodings[e].Name,-8} {m,16:N0} {m / mb,15:F3} {bytes[e],14:F1}");
            }
            return 0;
        });
        return cmd;
    }

    private static List<float[]> Preprocess(IDataset data, Preprocessing pre, int n, int batch)
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
    private static double BareLoopSeconds(string path, List<float[]> batches, int[] sample, int threads, ExecutionDevice device)
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

    private static double Median(List<double> x) { var s = x.Order().ToList(); return s[s.Count / 2]; }
}
