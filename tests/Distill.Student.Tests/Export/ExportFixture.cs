using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Export;

/// <summary>Fashion-MNIST test images (preprocessed as the teacher card says) and helpers to run both runtimes.</summary>
internal static class ExportFixture
{
    public const string Dataset = "fashion-mnist";
    public static readonly int[] Sample = { 1, 28, 28 };

    public static string TeacherCardPath => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.json");

    private static readonly Lazy<(float[] X, int[] Y, int N)> Test = new(() =>
    {
        var ds = DatasetCatalog.Open(Dataset, "test");
        var x = new float[ds.Count * 784];
        ds.ReadSamples(0, ds.Count, x);
        var pre = Distill.Data.PreprocessingFlags.None.Require(Distill.Data.TeacherCard.Load(TeacherCardPath), TeacherCardPath).Value;
        pre.Apply(x, 1);
        var y = Enumerable.Range(0, ds.Count).Select(ds.GetLabel).ToArray();
        return (x, y, ds.Count);
    });

    /// <summary>
    /// The first <paramref name="n"/> test images (all when n is null), preprocessed, and their labels. Fashion-MNIST comes
    /// from tools/ensure-data.sh (which tools/test.sh runs); without it the test fails with the reader's message.
    /// </summary>
    public static (float[] X, int[] Y, int N) Images(int? n = null)
    {
        var (x, y, count) = Test.Value;
        int k = Math.Min(n ?? count, count);
        return (x[..(k * 784)], y[..k], k);
    }

    public static float[] TorchLogits(nn.Module<Tensor, Tensor> m, float[] x, int n, int batch = 1000)
    {
        m.eval();
        var result = new List<float>();
        using var _ = no_grad();
        for (int s = 0; s < n; s += batch)
        {
            int b = Math.Min(batch, n - s);
            using var scope = NewDisposeScope();
            var t = tensor(x[(s * 784)..((s + b) * 784)], new long[] { b, 1, 28, 28 });
            result.AddRange(m.forward(t).data<float>().ToArray());
        }
        return result.ToArray();
    }

    public static InferenceSession Session(string onnx)
    {
        var o = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(onnx, o);
    }

    public static float[] OrtLogits(InferenceSession s, float[] x, int n, int classes = 10, int batch = 1000, string input = "input", string output = "logits")
    {
        var result = new float[n * classes];
        using var ro = new RunOptions();
        for (int st = 0; st < n; st += batch)
        {
            int b = Math.Min(batch, n - st);
            using var v = OrtValue.CreateTensorValueFromMemory(x[(st * 784)..((st + b) * 784)], new long[] { b, 1, 28, 28 });
            using var outs = s.Run(ro, new[] { input }, new[] { v }, new[] { output });
            outs[0].GetTensorDataAsSpan<float>().CopyTo(result.AsSpan(st * classes));
        }
        return result;
    }

    public static int[] Argmax(float[] logits, int classes = 10) =>
        Enumerable.Range(0, logits.Length / classes).Select(i =>
        {
            int best = 0;
            for (int c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
            return best;
        }).ToArray();

    public static string TempDir() => TempFolder.Create("distill-export-tests");
}
