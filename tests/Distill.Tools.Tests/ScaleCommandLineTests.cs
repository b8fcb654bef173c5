using System.Text.Json.Nodes;

namespace Distill.Tools.Tests;

/// <summary>
/// The teacher-at-scale flags through the real command lines: two teachers averaged in probability, two augmented
/// views per sample, `inspect` describing them, and train-student training on that cache (every view a row).
/// </summary>
[TestClass]
public sealed class ScaleCommandLineTests
{
    [TestMethod]
    public void EnsembleWithViewsCachesTrainsAndInspects()
    {
        var dir = Tools.TempDir();
        var cache = Path.Combine(dir, "cache");
        var r = ToolRunner.Run("precompute-logits", new[] {
            "--teacher", Path.Combine(Tools.Fixtures, "ensemble-a.onnx"), "--teacher", Path.Combine(Tools.Fixtures, "ensemble-b.onnx"),
            "--ensemble", "mean-prob", "--views", "2", "--augment", "crop:1,flip", "--dataset", Tools.TinyIdx, "--split", "train",
            "--mean", "0.5", "--std", "0.25", "--out", cache, "--device", "cpu" });
        Assert.AreEqual(0, r.Code, r.Stderr);
        StringAssert.Contains(r.Stdout, "ensemble-a.onnx + ensemble-b.onnx (mean-prob)");
        StringAssert.Contains(r.Stdout, "samples:      80 × 3 logits");

        var inspect = ToolRunner.Run("precompute-logits", new[] { "inspect", cache });
        Assert.AreEqual(0, inspect.Code, inspect.Stderr);
        StringAssert.Contains(inspect.Stdout, "teacher:      ensemble-b.onnx");
        StringAssert.Contains(inspect.Stdout, "output:       'logits' (ensemble mean-prob) [3] in column 'logits'");
        StringAssert.Contains(inspect.Stdout, "views:        2 per sample, augment 'crop:1,flip', seed 0");

        var run = Path.Combine(dir, "run");
        var t = ToolRunner.Run("train-student", new[] { "--cache", cache, "--student", "mlp:8", "--loss", "kd", "--epochs", "1",
            "--batch", "16", "--out", run });
        Assert.AreEqual(0, t.Code, t.Stderr);
        StringAssert.Contains(t.Stdout, "views:         2 per sample (crop:1,flip)");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        Assert.AreEqual(2, summary["teacher_sha256s"]!.AsArray().Count, "both teachers are behind the averaged logits");
    }

    [TestMethod]
    public void CifarBinaryDatasetThroughBothTools()
    {
        var dir = Tools.TempDir();
        var data = Path.Combine(dir, "cifar-10-batches-bin");
        Directory.CreateDirectory(data);
        var rng = new Random(11);
        for (int b = 1; b <= 5; b++)
        {
            var bytes = new byte[8 * 3073];
            rng.NextBytes(bytes);
            for (int i = 0; i < 8; i++) bytes[i * 3073] = (byte)(i % 10);
            File.WriteAllBytes(Path.Combine(data, $"data_batch_{b}.bin"), bytes);
        }
        File.Copy(Path.Combine(data, "data_batch_1.bin"), Path.Combine(data, "test_batch.bin"));
        var cache = Path.Combine(dir, "cache");
        var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "rgb-32.onnx"),
            "--dataset", $"cifar10:{dir}", "--split", "train", "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25", "--out", cache, "--device", "cpu" });
        Assert.AreEqual(0, r.Code, r.Stderr);
        StringAssert.Contains(r.Stdout, "samples:      40 × 10 logits");
        var t = ToolRunner.Run("train-student", new[] { "--cache", cache, "--student", "mlp:8", "--loss", "kd", "--epochs", "1",
            "--batch", "8", "--out", Path.Combine(dir, "run") });
        Assert.AreEqual(0, t.Code, t.Stderr);
        StringAssert.Contains(t.Stdout, $"cifar10:{dir} train (40 cached rows, 10 classes");
    }
}
