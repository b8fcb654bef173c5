using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;

namespace Distill.MLNet.Tests;

/// <summary>
/// The README's sample as a process, against train-student as a process on the same cache and recipe (its accuracy
/// must be train-student's), and its saved model reloaded by a third process that never loads TorchSharp.
/// </summary>
[TestClass]
public sealed class SampleTests
{
    private static string _cache = "", _work = "", _output = "";
    private static readonly string[] Recipe = { "--student", "mlp-20-20", "--epochs", "2", "--seed", "1", "--threads", "2" };

    [ClassInitialize]
    public static void RunTheSample(TestContext _)
    {
        _work = Fixtures.TempDir();
        _cache = Path.Combine(_work, "cache");
        var cache = ToolRunner.Run("precompute-logits", new[] { "--teacher", Fixtures.FmnistTeacher, "--dataset", "fashion-mnist",
            "--limit", "2000", "--threads", "2", "--device", "cpu", "--out", _cache });
        Assert.AreEqual(0, cache.Code, cache.Stderr);
        var sample = ToolRunner.RunDll(ToolRunner.SampleDll("mlnet", "mlnet-sample"),
            new[] { "--cache", _cache, "--model", Path.Combine(_work, "model.zip") }.Concat(Recipe));
        Assert.AreEqual(0, sample.Code, sample.Stdout + sample.Stderr);
        _output = sample.Stdout;
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).SingleOrDefault(l => l.StartsWith(prefix + " "))?[(prefix.Length + 1)..]
        ?? throw new AssertFailedException($"no '{prefix}' line in:\n{output}");

    [TestMethod]
    public void EvaluateGivesTrainStudentsAccuracyForTheSameRecipe()
    {
        var run = Path.Combine(_work, "train-student");
        var result = ToolRunner.Run("train-student", new[] { "--cache", _cache, "--dataset", "fashion-mnist", "--loss", "kd", "--out", run }.Concat(Recipe));
        Assert.AreEqual(0, result.Code, result.Stderr);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        double micro = double.Parse(Line(_output, "micro-accuracy"), CultureInfo.InvariantCulture);
        Assert.AreEqual(summary["final_test_acc"]!.GetValue<double>(), micro, 0.0, "micro-accuracy = train-student's final test accuracy");

        // Macro accuracy is not in train-student's summary: work it out from its exported student, run here on the test split.
        var (pixels, labels) = Fixtures.ReadIdx("test");
        var card = Fixtures.FmnistCard;
        var input = new float[pixels.Length];
        for (int i = 0; i < input.Length; i++) input[i] = (float)((pixels[i] / 255.0 - card.Mean![0]) / card.Std![0]);
        using var session = new InferenceSession(Path.Combine(run, "student.onnx"));
        using var x = OrtValue.CreateTensorValueFromMemory(input, new long[] { labels.Length, 1, 28, 28 });
        using var outputs = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["input"] = x }, new[] { "logits" });
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var correct = new int[10];
        var total = new int[10];
        for (int i = 0; i < labels.Length; i++)
        {
            var z = logits.AsSpan(i * 10, 10).ToArray();
            total[labels[i]]++;
            if (Array.IndexOf(z, z.Max()) == labels[i]) correct[labels[i]]++;
        }
        Assert.AreEqual(micro, correct.Sum() / (double)labels.Length, 0.0, "the exported student's accuracy");
        double macro = Enumerable.Range(0, 10).Average(c => correct[c] / (double)total[c]);
        Assert.AreEqual(macro, double.Parse(Line(_output, "macro-accuracy"), CultureInfo.InvariantCulture), 1e-12);
    }

    [TestMethod]
    public void AReloadedModelPredictsTheSameInAProcessWithoutTorchSharp()
    {
        var predicted = Line(_output, "predicted");
        Assert.AreEqual(10, predicted.Split(", ").Length);
        foreach (var name in predicted.Split(", ")) CollectionAssert.Contains(Fixtures.FmnistCard.Classes, name);
        Assert.AreEqual(predicted, Line(_output, "reloaded"), "reloaded in the same process");

        var other = ToolRunner.RunDll(ToolRunner.SampleDll("mlnet", "mlnet-sample"), new[] { "predict", Path.Combine(_work, "model.zip"), "--count", "10" });
        Assert.AreEqual(0, other.Code, other.Stdout + other.Stderr);
        Assert.AreEqual(predicted, Line(other.Stdout, "predicted"), "reloaded in a new process");
        Assert.AreEqual("no", Line(other.Stdout, "TorchSharp loaded:"));
    }
}
