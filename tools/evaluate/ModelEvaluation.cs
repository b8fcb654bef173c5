using System.Diagnostics;
using Distill.Data;
using Distill.Teacher;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.Evaluate;

/// <summary>What one model scored on the split.</summary>
internal sealed record ModelScore(string Name, double Top1, double Ece, long Parameters, long Bytes,
    double MicrosPerImageBatch1, double MicrosPerImageBatch256, int[] Predictions, int ClassCount, string[]? ClassNames,
    ResolvedPreprocessing Preprocessing);

/// <summary>
/// Runs an ONNX classifier over a labelled split with ONNX Runtime on the CPU (inputs and outputs resolved like
/// precompute-logits; the preprocessing as the command resolved it) and measures top-1, calibration and latency.
/// </summary>
internal static class ModelEvaluation
{
    private const int Batch = 256;

    /// <param name="path">An existing model file (Program checks both models before evaluating either).</param>
    public static ModelScore Run(string path, IDataset data, ResolvedPreprocessing preprocessing, int threads)
    {
        if (!data.HasLabels) throw new DistillException($"{data.Name} {data.Split} has no labels to evaluate against");
        var card = TeacherCard.TryLoadFor(path);
        var pre = preprocessing.Value;
        using var model = TeacherModel.Open(path, data.SampleShape, card?.InputName, card?.OutputName is { } o ? new[] { o } : null,
            ExecutionDevice.Cpu, threads, _ => { }, spinning: true);   // latency as ONNX Runtime serves by default
        if (model.OutputShapes[0].Length != 1)
            throw new DistillException($"{model.FileName}: output '{model.OutputName}' is not class logits [N, C]");
        int n = data.Count, size = data.SampleSize(), classes = model.ClassCount;
        var x = new float[(long)n * size];
        data.ReadSamples(0, n, x);
        for (int i = 0; i < n; i++) pre.Apply(x.AsSpan(i * size, size), data.SampleShape[0]);

        int batch = model.FixedBatch ?? Batch;
        float[] Run(int start, int rows)
        {
            // A fixed-batch model gets a zero-padded last batch; only `rows` results are kept.
            var input = model.FixedBatch is int fb && rows < fb
                ? x.AsSpan(start * size, rows * size).ToArray().Concat(new float[(fb - rows) * size]).ToArray().AsMemory()
                : x.AsMemory(start * size, rows * size);
            int fed = model.FixedBatch ?? rows;
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input, model.BatchShape(fed));
            using var runOptions = new RunOptions();
            using var output = model.Session.Run(runOptions, new[] { model.InputName }, new[] { value }, new[] { model.OutputName });
            return output[0].GetTensorDataAsSpan<float>()[..(rows * classes)].ToArray();
        }

        var predictions = new int[n];
        var confidence = new double[n];
        for (int start = 0; start < n; start += batch)
        {
            int rows = Math.Min(batch, n - start);
            var logits = Run(start, rows);
            for (int r = 0; r < rows; r++)
            {
                var row = logits.AsSpan(r * classes, classes);
                int best = Distill.Cache.LogitBatch.ArgMax(row);
                double z = 0;
                foreach (var v in row) z += Math.Exp(v - row[best]);
                predictions[start + r] = best;
                confidence[start + r] = 1.0 / z;   // softmax probability of the top class
            }
        }
        var labels = Enumerable.Range(0, n).Select(data.GetLabel).ToArray();
        double top1 = predictions.Zip(labels).Count(p => p.First == p.Second) / (double)n;

        double Latency(int b, int reps)
        {
            if (model.FixedBatch is int fb && fb != b || b > n) return double.NaN;
            Run(0, b);
            var watch = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) Run(r * b % Math.Max(1, n - b + 1), b);
            return watch.Elapsed.TotalMilliseconds * 1000 / (reps * b);
        }

        return new ModelScore(Path.GetFileName(path), top1, ExpectedCalibrationError(predictions, confidence, labels),
            Parameters(path), new FileInfo(path).Length, Latency(1, 500), Latency(Batch, 8), predictions, classes, card?.Classes, preprocessing);
    }

    /// <summary>
    /// ECE (Guo et al. 2017) with 15 equal-width confidence bins: Σ_bins |bin|/n · |accuracy(bin) − mean confidence(bin)|.
    /// </summary>
    public static double ExpectedCalibrationError(int[] predictions, double[] confidence, int[] labels, int bins = 15)
    {
        int n = predictions.Length;
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            var idx = Enumerable.Range(0, n).Where(i => confidence[i] > b / (double)bins && confidence[i] <= (b + 1) / (double)bins).ToArray();
            if (idx.Length == 0) continue;
            ece += idx.Length / (double)n * Math.Abs(idx.Average(i => predictions[i] == labels[i] ? 1.0 : 0.0) - idx.Average(i => confidence[i]));
        }
        return ece;
    }

    // Exported students' cards record their parameter count; -1 when unknown.
    private static long Parameters(string onnxPath)
    {
        var card = Path.ChangeExtension(onnxPath, ".json");
        try
        {
            if (File.Exists(card) && System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(card))?["parameters"] is { } p) return p.GetValue<long>();
        }
        catch (System.Text.Json.JsonException) { }
        return -1;
    }
}
