using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Tools.Tests;

/// <summary>
/// The evaluate tool's report agrees with precompute-logits run on the same models (top-1 read back from each cache,
/// agreement from `compare`'s top-1 disagreements, calibration error computed in the test from the cached logits, file
/// size from the file system), has both latency columns, writes its files, and fails with one line on a missing model.
/// </summary>
[TestClass]
public sealed class EvaluateToolTests
{
    [TestMethod]
    public void ReportMatchesTheCachesOfBothModels()
    {
        var dir = Tools.TempDir();
        string teacher = Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), student = Path.Combine(Tools.Fixtures, "ensemble-a.onnx");
        var report = Path.Combine(dir, "out", "report.md");
        var e = ToolRunner.Run("evaluate", new[] { teacher, student, "--dataset", Tools.TinyIdx, "--out", report });
        Assert.AreEqual(0, e.Code, e.Stderr);
        foreach (var f in new[] { report, Path.Combine(dir, "out", "report.png"), Path.Combine(dir, "out", "report-confusion.png") })
            Assert.IsTrue(File.Exists(f) && new FileInfo(f).Length > 0, f);
        Assert.IsEmpty(Directory.GetFiles(Path.Combine(dir, "out"), "*.tmp"));

        double Top1(string model, string cache)
        {
            var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", model, "--dataset", Tools.TinyIdx, "--split", "test", "--out", cache, "--device", "cpu" });
            Assert.AreEqual(0, r.Code, r.Stderr);
            return double.Parse(Regex.Match(r.Stdout, @"teacher top-1: ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        }
        double t = Top1(teacher, Path.Combine(dir, "t")), s = Top1(student, Path.Combine(dir, "s"));
        var compare = ToolRunner.Run("precompute-logits", new[] { "compare", Path.Combine(dir, "t"), Path.Combine(dir, "s"), "--tolerance", "1000" });
        int disagreements = int.Parse(Regex.Match(compare.Stdout, @"top-1 disagreements: (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

        var text = File.ReadAllText(report);
        StringAssert.Contains(text, $"| names-x-linear.onnx | {t:F4} | 1.0000 |");
        StringAssert.Contains(text, $"| ensemble-a.onnx | {s:F4} | {1 - disagreements / 12.0:F4} |");
        StringAssert.Contains(text, "Dataset idx:");

        var missing = ToolRunner.Run("evaluate", new[] { teacher, Path.Combine(dir, "nope.onnx"), "--dataset", Tools.TinyIdx, "--out", Path.Combine(dir, "r2.md") });
        Assert.AreEqual(1, missing.Code);
        CollectionAssert.AreEqual(new[] { $"error: model {Path.Combine(dir, "nope.onnx")} not found" }, missing.ErrorLines);
        Assert.IsFalse(File.Exists(Path.Combine(dir, "r2.md")));
    }

    /// <summary>ECE (Guo et al. 2017), 15 equal-width bins of the top-class softmax probability.</summary>
    private static double ExpectedCalibrationError(float[][] logits, int[] labels)
    {
        var rows = logits.Select((z, i) =>
        {
            double max = z.Max();
            return (Confidence: 1 / z.Sum(v => Math.Exp(v - max)), Correct: Array.IndexOf(z, z.Max()) == labels[i] ? 1.0 : 0.0);
        }).ToArray();
        double ece = 0;
        for (int b = 0; b < 15; b++)
        {
            var bin = rows.Where(r => r.Confidence > b / 15.0 && r.Confidence <= (b + 1) / 15.0).ToArray();
            if (bin.Length > 0) ece += bin.Length / (double)rows.Length * Math.Abs(bin.Average(r => r.Correct) - bin.Average(r => r.Confidence));
        }
        return ece;
    }

    [TestMethod]
    public void CalibrationSizeAndLatencyColumns()
    {
        var dir = Tools.TempDir();
        // 300 test images, so that the batch-256 latency is measured too.
        var dataset = Tools.WriteIdx(Directory.CreateDirectory(Path.Combine(dir, "idx")).FullName, 300, seed: 8);
        string teacher = Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), student = Path.Combine(Tools.Fixtures, "ensemble-a.onnx");
        var report = Path.Combine(dir, "report.md");
        Tools.Ok("evaluate", teacher, student, "--dataset", dataset, "--out", report, "--threads", "1");
        var text = File.ReadAllText(report);
        StringAssert.Contains(text, "| model | top-1 | agreement with teacher | ECE (15 bins) | parameters | file size | latency/image, batch 1 | latency/image, batch 256 |");
        foreach (var model in new[] { teacher, student })
        {
            var cache = Path.Combine(dir, Path.GetFileNameWithoutExtension(model));
            Tools.Ok("precompute-logits", "--teacher", model, "--dataset", dataset, "--split", "test", "--out", cache, "--device", "cpu");
            var labels = Tools.ReadAll(cache).SelectMany(b => b.Labels!.Take(b.Rows)).ToArray();
            var row = Regex.Match(text, $@"^\| {Regex.Escape(Path.GetFileName(model))} \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| (.+?) \| ([0-9.]+) KiB \| ([0-9.]+) µs \| ([0-9.]+) µs \|$", RegexOptions.Multiline);
            Assert.IsTrue(row.Success, $"{model}: no complete row in\n{text}");
            double Value(int group) => double.Parse(row.Groups[group].Value, CultureInfo.CurrentCulture);
            Assert.AreEqual(ExpectedCalibrationError(Tools.Logits(cache), labels), Value(3), 5.1e-5, $"{model}: ECE");
            Assert.AreEqual("—", row.Groups[4].Value, "no card records the parameter count");
            Assert.AreEqual(new FileInfo(model).Length / 1024.0, Value(5), 0.051, $"{model}: file size");
            // Measured (a number, not "—"); per image at batch 256 a model this small may print 0.0 µs.
            Assert.IsTrue(Value(6) > 0 && Value(7) >= 0, $"{model}: latencies {row.Groups[6]} and {row.Groups[7]} µs");
        }
    }
}
