namespace Distill.Tools.Tests;

/// <summary>
/// Bad multi-task input (issue 14, acceptance 5) through the tools as processes: a teacher's dense column paired with the
/// wrong student head, a mask of another size than its image, a label line with a class ≥ K and a box outside [0, 1]
/// each give exactly one "error:" line naming the term or file, exit code 1, and no stack trace. The scenes come from
/// make-scenes (16 canvases), the caches from models/fmnist-scenes; each broken copy differs from them in one file.
/// {T} is this class's temporary folder.
/// </summary>
[TestClass]
public sealed class MultitaskBadInputTests
{
    private static string _tmp = "";

    // The broken label line replaces line 1 of canvas 000002's labels (10 garment classes: 0..9).
    private const string BrokenLabels = "labels/train/000002.txt";

    public static IEnumerable<object[]> Cases() => new (string Name, string Tool, string Args, string Error)[]
    {
        ("teacher's det column on the student's seg head", "train-student", "--recipe {T}/seg-kl-from-det.json --cache {T}/c-train --dataset yolo:{T}/scenes --out {T}/r1",
            "term 'seg_kl': student output 'seg' [11, 16, 16] and teacher column 'det' [192, 15] do not fit loss 'seg_kl': it takes segmentation maps [C, H, W] of one shape on both sides"),
        ("teacher's seg column on the student's det head", "train-student", "--recipe {T}/det-mse-from-seg.json --cache {T}/c-train --dataset yolo:{T}/scenes --out {T}/r2",
            "term 'det_mse': student output 'det' [192, 15] and teacher column 'logits' (output 'seg') [11, 16, 16] do not fit loss 'det_mse': it takes detection heads [A, 5 + K] (K ≥ 1) of one shape on both sides"),
        ("mask labels on the student's det head", "train-student", "--recipe {T}/seg-ce-on-det.json --cache {T}/c-train --dataset yolo:{T}/scenes --out {T}/r3",
            "term 'seg_ce': loss 'seg_ce' cannot train student output 'det': it takes a segmentation map [K + 1, h, w], the student output 'det' is [192, 15]"),
        ("a mask of another size than its image", "train-student", "--recipe {R}/multitask-small.labels.json --epochs 1 --cache {T}/c-small-mask --dataset yolo:{T}/small-mask --out {T}/r4",
            "mask {T}/small-mask/masks/train/000002.png is 32x32 but its image {T}/small-mask/images/train/000002.png is 64x64"),
        ("a class ≥ K (student)", "train-student", "--recipe {R}/multitask-small.labels.json --epochs 1 --cache {T}/c-train --dataset yolo:{T}/class-10 --out {T}/r5",
            "{T}/class-10/" + BrokenLabels + " line 1: class 10 is not below the dataset's 10 classes"),
        ("a class ≥ K (teacher)", "precompute-logits", "--teacher {M}/fmnist-scenes/fmnist-scenes.onnx --dataset yolo:{T}/class-10 --split train --output seg --output det --out {T}/o1 --device cpu",
            "{T}/class-10/" + BrokenLabels + " line 1: class 10 is not below the dataset's 10 classes"),
        ("a box outside [0, 1] (student)", "train-student", "--recipe {R}/multitask-small.labels.json --epochs 1 --cache {T}/c-train --dataset yolo:{T}/box-out --out {T}/r6",
            "{T}/box-out/" + BrokenLabels + " line 1: box 1.25 0.5 0.25 0.25 has a value outside [0, 1] (normalized cx cy w h expected)"),
        ("a box outside [0, 1] (teacher)", "precompute-logits", "--teacher {M}/fmnist-scenes/fmnist-scenes.onnx --dataset yolo:{T}/box-out --split train --output seg --output det --out {T}/o2 --device cpu",
            "{T}/box-out/" + BrokenLabels + " line 1: box 1.25 0.5 0.25 0.25 has a value outside [0, 1] (normalized cx cy w h expected)"),
    }.Select(c => new object[] { c.Name, c.Tool, c.Args, c.Error });

    private static string Fill(string text) => text.Replace("{T}", _tmp).Replace("{M}", Path.Combine(RepoRoot.Dir, "models"))
        .Replace("{R}", Path.Combine(RepoRoot.Dir, "recipes", "fmnist-scenes"));

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _tmp = Tools.TempDir();
        string scenes = Path.Combine(_tmp, "scenes");
        Tools.Ok("make-scenes", "--out", scenes, "--train", "16", "--test", "0", "--threads", "1");
        // One broken file per copy: a 32x32 mask (tests/Distill.Tools.Tests/fixtures/make_small_mask.py), a class the
        // 10 classes cannot have, a box centre past the right edge.
        Copy(scenes, Path.Combine(_tmp, "small-mask"));
        File.Copy(Path.Combine(Tools.OwnFixtures, "mask-32x32.png"), Path.Combine(_tmp, "small-mask", "masks", "train", "000002.png"), overwrite: true);
        ReplaceFirstLine(Copy(scenes, Path.Combine(_tmp, "class-10")), "10 0.5 0.5 0.25 0.25");
        ReplaceFirstLine(Copy(scenes, Path.Combine(_tmp, "box-out")), "1 1.25 0.5 0.25 0.25");
        // The mask is part of the dataset's fingerprint, so that copy gets its own cache (the teacher reads only images).
        foreach (var (data, cache) in new[] { ("scenes", "c-train"), ("small-mask", "c-small-mask") })
            Tools.Ok("precompute-logits", "--teacher", Path.Combine(RepoRoot.Dir, "models", "fmnist-scenes", "fmnist-scenes.onnx"),
                "--dataset", "yolo:" + Path.Combine(_tmp, data), "--split", "train", "--output", "seg", "--output", "det",
                "--out", Path.Combine(_tmp, cache), "--device", "cpu", "--threads", "1");
        Recipe("seg-kl-from-det", """{ "loss": "seg_kl", "weight": 1, "student": "seg", "teacher": "det" }""");
        Recipe("det-mse-from-seg", """{ "loss": "det_mse", "weight": 1, "student": "det", "teacher": "seg" }""");
        Recipe("seg-ce-on-det", """{ "loss": "seg_ce", "weight": 1, "student": "det" }""");
    }

    private static void Recipe(string name, string term) => File.WriteAllText(Path.Combine(_tmp, name + ".json"),
        $$"""{ "student": "multitask-small", "terms": [ {{term}} ], "epochs": 1, "batch": 8 }""");

    private static string Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return to;
    }

    private static void ReplaceFirstLine(string dataset, string line)
    {
        string path = Path.Combine(dataset, BrokenLabels);
        var lines = File.ReadAllLines(path);
        lines[0] = line;
        File.WriteAllLines(path, lines);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void GivesOneClearLineAndExitCodeOne(string name, string tool, string args, string error)
    {
        var result = ToolRunner.Run(tool, Fill(args).Split(' ').Append("--threads").Append("1"));
        Assert.AreEqual(1, result.Code, $"{name}: exit code; stderr: {result.Stderr}");
        var errors = result.ErrorLines.Where(l => l.StartsWith("error:")).ToList();
        Assert.AreEqual(1, errors.Count, $"{name}: one error line expected, stderr: {result.Stderr}");
        Assert.AreEqual("error: " + Fill(error), errors[0], name);
        Assert.IsFalse(result.Stderr.Contains("   at "), $"{name}: no stack trace without --verbose");
        // Refused before any output: at most the (released) lock file of the output folder remains.
        string output = Fill(args.Split(' ').SkipWhile(a => a != "--out").ElementAt(1));
        if (Directory.Exists(output))
            CollectionAssert.AreEqual(new[] { ".distill.lock" }, Directory.GetFileSystemEntries(output).Select(Path.GetFileName).ToArray(), $"{name}: no output left behind");
    }
}
