using System.Globalization;
using System.Text.RegularExpressions;

namespace Distill.Tools.Tests;

/// <summary>
/// The evaluate tool's report agrees with precompute-logits run on the same models (top-1 read back from each cache,
/// agreement from `compare`'s top-1 disagreements), writes its files, and fails with one line on a missing model.
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
}
