using System.Text.Json.Nodes;

namespace Distill.Tools.Tests;

/// <summary>
/// The short version of the reproduction (bench/train/reproduce.sh runs the full table): the whole pipeline on
/// Fashion-MNIST with the reference recipe of mlp-20-20 + KD for 2 epochs instead of 20. PyTorch's 20-epoch mean is
/// 0.8657 (../shared/reference/fmnist-students.json); two epochs already pass 0.82, and the exported student runs.
/// </summary>
[TestClass]
public sealed class ReproductionSmokeTests
{
    [TestMethod]
    public void TwoEpochsOfTheReferenceKdRecipe()
    {
        var dir = Tools.TempDir();
        foreach (var split in new[] { "train", "test" })
        {
            var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", split,
                "--out", Path.Combine(dir, split), "--device", "cpu" });
            Assert.AreEqual(0, r.Code, r.Stderr);
        }
        // The teacher card's class names and task travel with the cache (written as the card spells them).
        using (var cache = Distill.Cache.LogitCacheReader.Open(Path.Combine(dir, "test")))
        {
            var card = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(Tools.Teacher, ".json")))!;
            CollectionAssert.AreEqual(card["classes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray(), cache.Metadata.ClassNames!.ToArray());
            Assert.AreEqual(card["task"]!.GetValue<string>(), cache.Metadata.Task);
        }
        var run = Path.Combine(dir, "run");
        var t = ToolRunner.Run("train-student", new[] { "--recipe", Path.Combine(RepoRoot.Dir, "recipes", "fmnist", "mlp-20-20.kd.json"),
            "--cache", Path.Combine(dir, "train"), "--test-cache", Path.Combine(dir, "test"), "--epochs", "2", "--out", run }, 600);
        Assert.AreEqual(0, t.Code, t.Stderr);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        double acc = summary["final_test_acc"]!.GetValue<double>(), agreement = summary["final_agreement"]!.GetValue<double>();
        Assert.IsTrue(acc > 0.82, $"test accuracy after 2 epochs {acc}");
        Assert.IsTrue(agreement > 0.84, $"agreement with the teacher {agreement}");
        // The exported student is an ONNX teacher for precompute-logits: same input, and it reproduces its accuracy.
        var again = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(run, "student.onnx"), "--dataset", "fashion-mnist",
            "--split", "test", "--out", Path.Combine(dir, "student-cache"), "--device", "cpu" });
        Assert.AreEqual(0, again.Code, again.Stderr);
        StringAssert.Contains(again.Stdout, $"teacher top-1: {acc:F4}");
    }
}
