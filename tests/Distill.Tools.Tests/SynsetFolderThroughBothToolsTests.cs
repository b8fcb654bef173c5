namespace Distill.Tools.Tests;

/// <summary>
/// train-student reopens a folder dataset from the cache's recorded spec and class list: with the teacher card's
/// resize/crop and synset labels (precompute-logits) it must read the same samples and labels, or it would refuse the
/// cache as made from other data (the fingerprint covers labels and geometry). And precompute-logits bench-decode runs
/// on the same folder (its numbers are the integrator's to judge; here: it measures and reports every round).
/// </summary>
[TestClass]
public sealed class SynsetFolderThroughBothToolsTests
{
    [TestMethod]
    public void TrainStudentReadsTheSynsetFolderAsPrecomputeLogitsLabelledIt()
    {
        var dir = Tools.TempDir();
        string cache = Path.Combine(dir, "cache"), folder = Path.Combine(Tools.Fixtures, "synset-folder");
        var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "synset-teacher.onnx"),
            "--dataset", "folder:" + folder, "--out", cache, "--device", "cpu", "--threads", "1" });
        Assert.AreEqual(0, r.Code, r.Stderr);
        var t = ToolRunner.Run("train-student", new[] { "--cache", cache, "--student", "mlp:8", "--loss", "kd", "--epochs", "1",
            "--batch", "4", "--threads", "1", "--out", Path.Combine(dir, "run") });
        Assert.AreEqual(0, t.Code, t.Stderr);
        StringAssert.Contains(t.Stdout, "resize=short:36,crop=center:32x32");

        // --dataset spelled by hand (center:32 is center:32x32) is the same data, still labelled by the cache's classes.
        var plain = ToolRunner.Run("train-student", new[] { "--cache", cache, "--dataset", $"folder:{folder},resize=short:36,crop=center:32",
            "--student", "mlp:8", "--epochs", "1", "--out", Path.Combine(dir, "run2") });
        Assert.AreEqual(0, plain.Code, plain.Stderr);
    }

    [TestMethod]
    public void BenchDecodeTimesTheToolAgainstDecodeThenBareLoop()
    {
        var r = ToolRunner.Run("precompute-logits", new[] { "bench-decode", "--teacher", Path.Combine(Tools.Fixtures, "synset-teacher.onnx"),
            "--dataset", "folder:" + Path.Combine(Tools.Fixtures, "synset-folder"), "--batch", "4", "--threads", "1", "--repeats", "2" });
        Assert.AreEqual(0, r.Code, r.Stderr);
        StringAssert.Contains(r.Stdout, "6 × folder:" + Path.Combine(Tools.Fixtures, "synset-folder") + ",resize=short:36,crop=center:32x32 train [3,32,32], batch 4");
        Assert.AreEqual(2, r.Stdout.Split('\n').Count(l => l.StartsWith("  round ")), r.Stdout);
        StringAssert.Matches(r.Stdout, new System.Text.RegularExpressions.Regex(@"ratio tool/\(decode \+ bare\): +\d+\.\d{3} "));
        Assert.AreEqual(1, ToolRunner.Run("precompute-logits", new[] { "bench-decode", "--teacher", Path.Combine(Tools.Fixtures, "synset-teacher.onnx"),
            "--dataset", "folder:" + Path.Combine(Tools.Fixtures, "synset-folder"), "--threads", "0" }).Code, "--threads is checked");
    }
}
