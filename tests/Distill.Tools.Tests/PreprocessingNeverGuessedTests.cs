using System.Text.Json.Nodes;
using Distill.Cache;
using Distill.Data;

namespace Distill.Tools.Tests;

/// <summary>
/// Issue 16, acceptance 1: a teacher without a card is refused with one line that shows the flags; the flags and a card
/// written by `precompute-logits card` give the same cache, and both give PyTorch's logits (reference-logits.json,
/// computed with (x/255 − 0.5)/0.25); values already in [0, 1] fed with scale 1/255 get a warning.
/// </summary>
[TestClass]
public sealed class PreprocessingNeverGuessedTests
{
    private static double[][] PyTorchLogits() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Tools.Fixtures, "reference-logits.json")))!["net"]!.AsArray()
            .Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();

    private static void AssertPyTorch(float[][] actual, string what)
    {
        var expected = PyTorchLogits();
        Assert.HasCount(expected.Length, actual, what);
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < expected[r].Length; c++)
                Assert.AreEqual(expected[r][c], actual[r][c], 1e-4, $"{what}: row {r} class {c}");
    }

    // names-x-linear.onnx alone in a folder: no card beside it.
    private static string CardlessTeacher(string dir)
    {
        var path = Path.Combine(dir, "teacher.onnx");
        File.Copy(Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), path);
        return path;
    }

    private static string[] Precompute(string teacher, string outDir, params string[] more) => new[] { "--teacher", teacher, "--dataset", Tools.TinyIdx,
        "--split", "test", "--out", outDir, "--device", "cpu", "--threads", "1" }.Concat(more).ToArray();

    [TestMethod]
    public void ATeacherWithoutACardIsRefusedByBothToolsWithTheFlagsToGive()
    {
        var dir = Tools.TempDir();
        var teacher = CardlessTeacher(dir);
        var runs = new[]
        {
            ToolRunner.Run("precompute-logits", Precompute(teacher, Path.Combine(dir, "cache"))),
            ToolRunner.Run("evaluate", new[] { teacher, teacher, "--dataset", Tools.TinyIdx, "--out", Path.Combine(dir, "report.md"), "--threads", "1" }),
        };
        foreach (var r in runs)
        {
            Assert.AreEqual(1, r.Code, r.Stderr);
            Assert.HasCount(1, r.ErrorLines, r.Stderr);
            StringAssert.StartsWith(r.ErrorLines[0], "error: teacher.onnx has no card (teacher.json) and --scale, --mean, --std are not given");
            StringAssert.Contains(r.ErrorLines[0], "give --scale 1/255 --mean 0.286 --std 0.353");
            StringAssert.Contains(r.ErrorLines[0], "--no-normalize");
            StringAssert.Contains(r.ErrorLines[0], $"precompute-logits card {teacher} --scale");
        }
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "cache")), "nothing is written");
        Assert.IsFalse(File.Exists(Path.Combine(dir, "report.md")), "nothing is written");

        // Only --mean and --std: the scale is still not assumed.
        var partial = ToolRunner.Run("precompute-logits", Precompute(teacher, Path.Combine(dir, "cache"), "--mean", "0.5", "--std", "0.25"));
        Assert.AreEqual(1, partial.Code);
        StringAssert.StartsWith(partial.ErrorLines[0], "error: teacher.onnx has no card (teacher.json) and --scale is not given");
    }

    [TestMethod]
    public void TheFlagsAndACardWrittenByTheCardCommandGiveTheSameCacheAsPyTorch()
    {
        var dir = Tools.TempDir();
        var teacher = CardlessTeacher(dir);
        var flags = Path.Combine(dir, "flags");
        Tools.Ok("precompute-logits", Precompute(teacher, flags, "--scale", "1/255", "--mean", "0.5", "--std", "0.25"));

        var said = Tools.Ok("precompute-logits", "card", teacher, "--scale", "1/255", "--mean", "0.5", "--std", "0.25");
        StringAssert.Contains(said, "teacher.json: input 'x'");
        var card = TeacherCard.Load(Path.Combine(dir, "teacher.json"));
        Assert.AreEqual("x", card.InputName);
        Assert.AreEqual("linear", card.OutputName);
        Assert.AreEqual(1 / 255.0, card.Scale!.Value, 1e-15);
        CollectionAssert.AreEqual(new[] { 0.5 }, card.Mean);
        CollectionAssert.AreEqual(new[] { 0.25 }, card.Std);
        var again = ToolRunner.Run("precompute-logits", new[] { "card", teacher, "--scale", "1", "--mean", "0", "--std", "1" });
        Assert.AreEqual(1, again.Code);
        StringAssert.Contains(again.ErrorLines[0], "teacher.json exists (pass --overwrite to replace it)");

        var fromCard = Path.Combine(dir, "card");
        Tools.Ok("precompute-logits", Precompute(teacher, fromCard));
        var a = Tools.Logits(flags);
        var b = Tools.Logits(fromCard);
        Assert.HasCount(a.Length, b);
        for (int r = 0; r < a.Length; r++) CollectionAssert.AreEqual(a[r], b[r], $"row {r}: the card gives the flags' cache");
        using (var fc = LogitCacheReader.Open(flags))
        using (var cc = LogitCacheReader.Open(fromCard))
            Assert.AreEqual(fc.Metadata.Preprocessing.ToString(), cc.Metadata.Preprocessing.ToString());
        AssertPyTorch(b, "cache from the card");
    }

    [TestMethod]
    public void ValuesAlreadyInTheUnitRangeAreWarnedAboutWithScale1Over255()
    {
        var dir = Tools.TempDir();
        var teacher = Path.Combine(Tools.Fixtures, "names-x-linear.onnx");
        var npy = "npy:" + Path.Combine(Tools.OwnFixtures, "unit-range.npy") + "," + Path.Combine(Tools.OwnFixtures, "unit-range-labels.npy");
        string[] Args(string outDir, params string[] more) => new[] { "--teacher", teacher, "--dataset", npy, "--split", "train",
            "--out", Path.Combine(dir, outDir), "--device", "cpu", "--threads", "1", "--mean", "0.5", "--std", "0.25" }.Concat(more).ToArray();

        var twice = ToolRunner.Run("precompute-logits", Args("twice", "--scale", "1/255"));
        Assert.AreEqual(0, twice.Code, twice.Stderr);
        var warning = twice.ErrorLines.Single(l => l.StartsWith("warning: the raw values of", StringComparison.Ordinal));
        StringAssert.Contains(warning, "train lie in [0, 0.996] (12 samples checked)");
        StringAssert.Contains(warning, "but the scale is 1/255");
        StringAssert.Contains(warning, "give --scale 1");

        // The scale the data needs: no warning, and PyTorch's logits of the same images.
        var right = ToolRunner.Run("precompute-logits", Args("right", "--scale", "1"));
        Assert.AreEqual(0, right.Code, right.Stderr);
        Assert.IsFalse(right.ErrorLines.Any(l => l.StartsWith("warning: the raw values", StringComparison.Ordinal)), right.Stderr);
        AssertPyTorch(Tools.Logits(Path.Combine(dir, "right")), "--scale 1 on values in [0, 1]");

        // evaluate: the same warning with the card's 1/255; with --cache it uses (and says) the cache's preprocessing.
        var eval = ToolRunner.Run("evaluate", new[] { teacher, teacher, "--dataset", npy, "--split", "train", "--out", Path.Combine(dir, "e1.md"), "--threads", "1" });
        Assert.AreEqual(0, eval.Code, eval.Stderr);
        Assert.IsTrue(eval.ErrorLines.Any(l => l.StartsWith("warning: the raw values of", StringComparison.Ordinal)), eval.Stderr);
        var fromCache = ToolRunner.Run("evaluate", new[] { teacher, teacher, "--dataset", npy, "--split", "train", "--out", Path.Combine(dir, "e2.md"),
            "--threads", "1", "--cache", Path.Combine(dir, "right") });
        Assert.AreEqual(0, fromCache.Code, fromCache.Stderr);
        Assert.IsFalse(fromCache.ErrorLines.Any(l => l.StartsWith("warning:", StringComparison.Ordinal)), fromCache.Stderr);
        StringAssert.Contains(fromCache.Stderr, $"scale=1 mean=[0.5] std=[0.25] (from cache {Path.Combine(dir, "right")})");
    }
}
