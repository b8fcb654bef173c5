using System.Buffers.Binary;

namespace Distill.Tools.Tests;

/// <summary>
/// scene-preview on a run of multitask-small (1 epoch on 16 make-scenes canvases) and the teacher's test cache: a PNG of
/// the size its layout gives (4 panels of 4× the 64-pixel canvases per row, read from the PNG header by hand), written
/// whole; a run without student.onnx or a cache of another split is one error line and exit 1.
/// </summary>
[TestClass]
public sealed class ScenePreviewToolTests
{
    private static string _tmp = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _tmp = Tools.TempDir();
        Tools.Ok("make-scenes", "--out", Path.Combine(_tmp, "scenes"), "--train", "16", "--test", "6", "--threads", "1");
        foreach (var split in new[] { "train", "test" })
            Tools.Ok("precompute-logits", "--teacher", Path.Combine(RepoRoot.Dir, "models", "fmnist-scenes", "fmnist-scenes.onnx"),
                "--dataset", "yolo:" + Path.Combine(_tmp, "scenes"), "--split", split, "--output", "seg", "--output", "det",
                "--dtype", "float16", "--out", Path.Combine(_tmp, "c-" + split), "--device", "cpu", "--threads", "1");
        Tools.Ok("train-student", "--recipe", Path.Combine(RepoRoot.Dir, "recipes", "fmnist-scenes", "multitask-small.distill.json"),
            "--epochs", "1", "--batch", "8", "--threads", "1", "--dataset", "yolo:" + Path.Combine(_tmp, "scenes"),
            "--cache", Path.Combine(_tmp, "c-train"), "--test-cache", Path.Combine(_tmp, "c-test"), "--out", Path.Combine(_tmp, "run"));
    }

    private string[] Args(string cache, string run, string png, int count) => new[] { "--dataset", "yolo:" + Path.Combine(_tmp, "scenes"),
        "--teacher-cache", Path.Combine(_tmp, cache), "--run", Path.Combine(_tmp, run), "--count", count.ToString(), "--out", Path.Combine(_tmp, png) };

    [TestMethod]
    public void DrawsOneRowOfFourPanelsPerCanvas()
    {
        string stdout = Tools.Ok("scene-preview", Args("c-test", "run", "sheet.png", 3));
        StringAssert.Contains(stdout, "3 canvases");
        var png = File.ReadAllBytes(Path.Combine(_tmp, "sheet.png"));
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, png[..8]);
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        // Width: margins 2·12 + 4 panels of 256 + 3 gaps of 12; height: header 34 + 3 rows of (256 + 12) + legend 56.
        Assert.AreEqual(1084, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.AreEqual(34 + 3 * 268 + 56, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.IsFalse(File.Exists(Path.Combine(_tmp, "sheet.png.tmp")));
    }

    [TestMethod]
    public void ARunWithoutStudentOnnxOrACacheOfAnotherSplitIsOneLine()
    {
        Directory.CreateDirectory(Path.Combine(_tmp, "empty-run"));
        var r = ToolRunner.Run("scene-preview", Args("c-test", "empty-run", "x.png", 2));
        Assert.AreEqual(1, r.Code, r.Stderr);
        Assert.AreEqual($"error: {Path.Combine(_tmp, "empty-run", "student.onnx")} not found (--run takes a finished train-student run)", r.Stderr.Trim());
        r = ToolRunner.Run("scene-preview", Args("c-train", "run", "y.png", 2));
        Assert.AreEqual(1, r.Code, r.Stderr);
        Assert.AreEqual($"error: cache {Path.Combine(_tmp, "c-train")} was made from the 'train' split, not 'test'", r.Stderr.Trim());
        Assert.IsFalse(File.Exists(Path.Combine(_tmp, "x.png")) || File.Exists(Path.Combine(_tmp, "y.png")));
    }
}
