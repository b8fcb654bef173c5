using System.Globalization;
using System.Text.Json.Nodes;

namespace Distill.Tools.Tests;

/// <summary>
/// Issue 16, acceptance 2 at a small size (the full command is in the README): --val-fraction holds out part of the
/// training samples, every epoch reports validation and test accuracy, the best epoch (by validation accuracy) is kept
/// as best/ and exported, summary.json says which epoch each export is, and ONNX Runtime (precompute-logits running the
/// exported student as a teacher) gives the test accuracy summary.json reports for it.
/// </summary>
[TestClass]
public sealed class ValidationAndBestEpochTests
{
    [TestMethod]
    public void TheBestEpochsStudentOnnxGivesTheAccuracyTheSummaryReports()
    {
        var dir = Tools.TempDir();
        var train = Path.Combine(dir, "train");
        Tools.Ok("precompute-logits", "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "train", "--limit", "2000",
            "--out", train, "--device", "cpu", "--threads", "2");
        var run = Path.Combine(dir, "run");
        var stdout = Tools.Ok("train-student", "--cache", train, "--student", "mlp:32", "--loss", "kd", "--epochs", "3", "--lr", "0.003",
            "--val-fraction", "0.1", "--threads", "2", "--out", run);
        StringAssert.Contains(stdout, "validation: 200 of 2,000 training samples held out (seed 0), never trained on");
        // Redirected output has no width: each epoch is one line of at most 80 columns, validation accuracy kept.
        var lines = stdout.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToList();
        Assert.HasCount(3, lines, stdout);
        foreach (var line in lines)
        {
            Assert.IsLessThanOrEqualTo(80, line.Length, line);
            StringAssert.Contains(line, " val 0.");
        }

        var epochs = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.HasCount(3, epochs);
        foreach (var e in epochs)
        {
            Assert.IsNotNull(e["val_acc"], "validation accuracy every epoch");
            Assert.IsNotNull(e["test_acc"], "test accuracy every epoch");
        }
        // The best epoch is the highest validation accuracy, the earliest on ties (worked out here from metrics.jsonl).
        int expectedBest = epochs.Select((e, i) => (Acc: e["val_acc"]!.GetValue<double>(), Epoch: i + 1))
            .OrderByDescending(x => x.Acc).ThenBy(x => x.Epoch).First().Epoch;

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        var best = summary["exports"]!["best"]!;
        var last = summary["exports"]!["last"]!;
        Assert.AreEqual(expectedBest, best["epoch"]!.GetValue<int>());
        Assert.AreEqual("val_acc", best["selected_by"]!.GetValue<string>());
        Assert.AreEqual("best/student.onnx", best["onnx"]!.GetValue<string>());
        Assert.AreEqual(3, last["epoch"]!.GetValue<int>());
        Assert.AreEqual("student.onnx", last["onnx"]!.GetValue<string>());
        Assert.AreEqual(0.1, summary["recipe"]!["val_fraction"]!.GetValue<double>());

        // ONNX Runtime on Fashion-MNIST test, with the preprocessing in the exported student's card.
        foreach (var (export, onnx) in new[] { (best, Path.Combine(run, "best", "student.onnx")), (last, Path.Combine(run, "student.onnx")) })
        {
            var ort = Tools.Ok("precompute-logits", "--teacher", onnx, "--dataset", "fashion-mnist", "--split", "test",
                "--out", Path.Combine(dir, "ort-" + export["epoch"]), "--device", "cpu", "--threads", "2", "--overwrite");
            double reported = export["test_acc"]!.GetValue<double>();
            StringAssert.Contains(ort, "teacher top-1: " + reported.ToString("F4", CultureInfo.InvariantCulture), $"epoch {export["epoch"]}");
        }

        // The split is part of the run's identity: resuming with another fraction is refused.
        var resume = ToolRunner.Run("train-student", new[] { "--cache", train, "--student", "mlp:32", "--loss", "kd", "--epochs", "3", "--lr", "0.003",
            "--val-fraction", "0.2", "--threads", "2", "--out", run, "--resume" });
        Assert.AreEqual(1, resume.Code, resume.Stderr);
        StringAssert.Contains(resume.Stderr, "val_fraction");
    }
}
