using System.Diagnostics;
using Distill.Data;
using Distill.Teacher;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// The benches' baseline: one ONNX Runtime session running batches that are already preprocessed, output buffers
/// reused, nothing else.
/// </summary>
internal static class BareRunLoop
{
    /// <summary>The first <paramref name="n"/> samples of <paramref name="data"/>, preprocessed, in batches.</summary>
    public static List<float[]> Preprocess(IDataset data, Preprocessing pre, int n, int batch)
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

    /// <summary>
    /// Seconds to run every batch once through a new session of <paramref name="model"/>, with the tool's session
    /// options, or with ONNX Runtime's default of spinning idle threads (<paramref name="spinning"/>).
    /// </summary>
    public static double Seconds(string model, List<float[]> batches, int[] sampleShape, int threads, ExecutionDevice device,
        bool spinning = false)
    {
        int sampleSize = sampleShape.Aggregate(1, (a, c) => a * c);
        using var options = SessionFactory.CreateOptions(device, threads, _ => { }, out _, spinning);
        using var session = new InferenceSession(model, options);
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int classes = session.OutputMetadata[output].Dimensions[1];
        var inputs = batches.Select(x => OrtValue.CreateTensorValueFromMemory(x,
            new long[] { x.Length / sampleSize }.Concat(sampleShape.Select(s => (long)s)).ToArray())).ToList();
        var outBuf = new float[batches[0].Length / sampleSize * classes];
        using var runOptions = new RunOptions();
        try
        {
            var watch = Stopwatch.StartNew();
            foreach (var value in inputs)
            {
                long rows = value.GetTensorTypeAndShape().Shape[0];
                using var o = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, outBuf.AsMemory(0, (int)rows * classes), new[] { rows, classes });
                session.Run(runOptions, new[] { input }, new[] { value }, new[] { output }, new[] { o });
            }
            return watch.Elapsed.TotalSeconds;
        }
        finally { foreach (var v in inputs) v.Dispose(); }
    }
}
