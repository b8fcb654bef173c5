using System.CommandLine;
using System.Diagnostics;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// On encoded images (a folder: dataset), the tool's wall time divided by doing the two halves one after the other:
/// a decode-only pass (the tool's reader stage alone: decode, resize, crop, preprocess) plus the bare ONNX Runtime Run
/// loop over as many images (run before and after the tool in each round, once with the tool's session options and
/// once with ONNX Runtime's default of spinning idle threads; the faster of the two by median is the baseline). At most 1.0 means overlapping decoding with inference gains; the goal is ≤ 1.05 (it never
/// loses more than noise). Measured alternately in one process, per-round ratios, median. The process's CPU seconds
/// of each phase are printed too: unlike wall time they hardly move with other load on the machine, and the tool's
/// CPU time above decode + bare is work that overlapping wasted (threads spinning or fighting over cores).
/// </summary>
internal static class DecodeBenchCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "ONNX teacher (its card supplies preprocessing, resize/crop and classes)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "An encoded-image dataset, e.g. folder:DIR", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "train" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for both (decoding uses every core, as the tool does)", DefaultValueFactory = _ => 2 };
        var repeats = new Option<int>("--repeats") { Description = "Alternating measurements of each", DefaultValueFactory = _ => 3 };
        var limit = new Option<int>("--limit") { Description = "Images (0: the whole split)", DefaultValueFactory = _ => 0 };
        var keep = new Option<int>("--keep") { Description = "Decoded batches the bare loop cycles through (its speed does not depend on the pixels)", DefaultValueFactory = _ => 4 };
        var cmd = new Command("bench-decode", ToolHelp.Describe(
            "Benchmark precompute-logits on encoded images against a decode-only pass plus a bare ONNX Runtime Run loop (ratio of wall times, goal ≤ 1.05)",
            "precompute-logits bench-decode --teacher resnet18.onnx --dataset folder:data/imagenet-val,resize=short:256,crop=center:224 --limit 512"));
        foreach (var o in new Option[] { teacher, dataset, split, batch, threads, repeats, limit, keep }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var path = r.GetValue(teacher)!;
            var card = TeacherCard.TryLoadFor(path);
            var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!, TeacherCard.DatasetOptionsFor(card, w => Console.Error.WriteLine(w)));
            int b = r.GetValue(batch), t = ThreadLimit.Check(r.GetValue(threads), "--threads");
            int n = r.GetValue(limit) is > 0 and var l ? Math.Min(l, data.Count) : data.Count;
            if (b <= 0) throw new DistillException("--batch must be positive");
            var pre = BenchCommand.SpeedOnlyPreprocessing(path);
            _ = data.Fingerprint; // hashes every file once, before any timing (the tool does it before its clock starts)
            var bareBatches = BareLoopBatches(data, pre, n, b, Math.Max(1, r.GetValue(keep)));
            var dir = Path.Combine(Path.GetTempPath(), $"distill-bench-decode-{Environment.ProcessId}");
            var (decodeS, toolS) = (new List<double>(), new List<double>());
            var (bareToolOptionsS, bareSpinS) = (new List<double>(), new List<double>());
            var (decodeCpu, bareCpu, toolCpu) = (new List<double>(), new List<double>(), new List<double>());
            // One bare loop: its wall seconds and the process's CPU seconds over it.
            (double Seconds, double Cpu) Bare(bool spinning)
            {
                double cpu = CpuSeconds();
                double seconds = BareRunLoop.Seconds(path, bareBatches, data.SampleShape, t, ExecutionDevice.Cpu, spinning);
                return (seconds, CpuSeconds() - cpu);
            }
            try
            {
                for (int i = 0; i < r.GetValue(repeats); i++)
                {
                    var cpu = CpuSeconds();
                    decodeS.Add(DecodeOnlySeconds(data, pre, n, b));
                    decodeCpu.Add(CpuSeconds() - cpu);
                    // Two bare loops, before and after the tool (so drift during the round hits both sides alike): the
                    // tool's session options (idle threads do not spin) and ONNX Runtime's default (they spin), taking
                    // turns at going first. The baseline is the one whose median over the rounds is faster.
                    bool spinFirst = i % 2 == 1;
                    var first = Bare(spinFirst);
                    cpu = CpuSeconds();
                    var res = await LogitPrecomputer.RunAsync(new PrecomputeRequest
                    {
                        TeacherPath = path, Dataset = data, Preprocessing = pre, OutputDirectory = dir, Device = ExecutionDevice.Cpu,
                        BatchSize = b, Threads = t, Limit = n, Overwrite = true, Encoding = CacheEncoding.Float32,
                    }, ct: ct);
                    toolCpu.Add(CpuSeconds() - cpu);
                    toolS.Add(res.Seconds);
                    var second = Bare(!spinFirst);
                    var (spin, plain) = spinFirst ? (first, second) : (second, first);
                    bareSpinS.Add(spin.Seconds);
                    bareToolOptionsS.Add(plain.Seconds);
                    bareCpu.Add(plain.Cpu);   // a spinning pool's CPU time counts its spinning
                    Console.WriteLine($"  round {i + 1}: decode {decodeS[^1]:F2} s; bare {bareToolOptionsS[^1]:F2} s (spinning {bareSpinS[^1]:F2} s); " +
                                      $"tool {res.Seconds:F2} s (busy: {res.Stages}); " +
                                      $"CPU s: decode {decodeCpu[^1]:F1} + bare (no spin) {bareCpu[^1]:F1}, tool {toolCpu[^1]:F1}");
                }
            }
            finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
            Console.WriteLine($"bench-decode: {Path.GetFileName(path)}, {n:N0} × {data.Name} {data.Split} [{string.Join(",", data.SampleShape)}], " +
                              $"batch {b}, {t} ONNX Runtime threads, decoding on {Environment.ProcessorCount} cores, ONNX Runtime {SessionFactory.OnnxRuntimeVersion()}");
            bool spinFaster = BenchCommand.Median(bareSpinS) < BenchCommand.Median(bareToolOptionsS);
            var bareS = spinFaster ? bareSpinS : bareToolOptionsS;
            var ratios = toolS.Select((tool, i) => tool / (decodeS[i] + bareS[i])).ToList();
            double md = BenchCommand.Median(decodeS), mb = BenchCommand.Median(bareS), mt = BenchCommand.Median(toolS);
            Console.WriteLine($"decode-only pass (median):   {md:F2} s ({n / md:N1} img/s)");
            Console.WriteLine($"bare Run loop (median):      {mb:F2} s ({n / mb:N1} img/s): the faster of the tool's session options " +
                              $"{BenchCommand.Median(bareToolOptionsS):F2} s and ONNX Runtime's spinning default {BenchCommand.Median(bareSpinS):F2} s");
            Console.WriteLine($"precompute-logits (median):  {mt:F2} s ({n / mt:N1} img/s)");
            Console.WriteLine($"per-round ratios:            {string.Join(", ", ratios.Select(x => x.ToString("F3")))}");
            Console.WriteLine($"ratio tool/(decode + bare):  {BenchCommand.Median(ratios):F3}  (median of per-round ratios; goal ≤ 1.05)");
            Console.WriteLine($"CPU seconds (median):        decode {BenchCommand.Median(decodeCpu):F1} + bare (no spin) {BenchCommand.Median(bareCpu):F1}, tool {BenchCommand.Median(toolCpu):F1} (each with its session setup)");
            return 0;
        });
        return cmd;
    }

    private static double CpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    // The tool's reader stage alone, into one reused buffer: read (decode, resize, crop) and preprocess.
    private static double DecodeOnlySeconds(IDataset data, Preprocessing pre, int n, int batch)
    {
        int size = data.SampleSize(), channels = data.SampleShape[0];
        var buffer = new float[batch * size];
        var watch = Stopwatch.StartNew();
        for (int start = 0; start < n; start += batch)
        {
            int k = Math.Min(batch, n - start);
            data.ReadSamples(start, k, buffer.AsSpan(0, k * size));
            for (int i = 0; i < k; i++) pre.Apply(buffer.AsSpan(i * size, size), channels);
        }
        return watch.Elapsed.TotalSeconds;
    }

    // n images in batches of `batch` for the bare loop, cycling through the first `keep` decoded batches.
    private static List<float[]> BareLoopBatches(IDataset data, Preprocessing pre, int n, int batch, int keep)
    {
        var kept = BareRunLoop.Preprocess(data, pre, Math.Min(n, keep * batch), batch);
        var list = new List<float[]>();
        for (int start = 0, i = 0; start < n; start += batch, i++)
        {
            int k = Math.Min(batch, n - start);
            var source = kept[i % kept.Count];
            list.Add(k * data.SampleSize() == source.Length ? source : source[..(k * data.SampleSize())]);
        }
        return list;
    }
}
