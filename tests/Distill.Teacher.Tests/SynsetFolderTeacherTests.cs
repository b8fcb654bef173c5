using System.Text.Json;
using Distill.Cache;

namespace Distill.Teacher.Tests;

/// <summary>
/// precompute-logits (the tool, as a process) on a synset-named folder of JPEGs and PNGs of varied sizes with an
/// ImageNet-style teacher card (class_ids, input.resize short:36, input.crop center:32): the cached labels are the
/// card's indices and the cached logits equal PyTorch's on Resize(36) + CenterCrop(32) of the same files
/// (fixtures/make_synset_fixture.py → synset-reference.json). Decoding and resizing are byte-exact against PIL, so
/// what is left is float32 rounding between ONNX Runtime and PyTorch.
/// </summary>
[TestClass]
public sealed class SynsetFolderTeacherTests
{
    private sealed record Sample(string File, int Label, float[] Logits);

    private static List<Sample> Reference() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("synset-reference.json"))).RootElement.GetProperty("samples")
            .EnumerateArray().Select(s => new Sample(s.GetProperty("file").GetString()!, s.GetProperty("label").GetInt32(),
                s.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray())).ToList();

    private static ToolRunner.Result Precompute(string teacher, string folder, string output) =>
        ToolRunner.Run("precompute-logits", new[] { "--teacher", teacher, "--dataset", "folder:" + folder, "--out", output,
            "--batch", "4", "--threads", "1", "--device", "cpu" });

    [TestMethod]
    public async Task CachedLogitsEqualPyTorchsResizeCenterCropAndLabelsAreTheCardsIndices()
    {
        var folder = TestPaths.Fixture("synset-folder");
        var cache = Path.Combine(TestPaths.TempDir(), "cache");
        var r = Precompute(TestPaths.Fixture("synset-teacher.onnx"), folder, cache);
        Assert.AreEqual(0, r.Code, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr, "the folders are the card's class_ids");

        using var reader = await LogitCacheReader.OpenAsync(cache);
        Assert.AreEqual($"folder:{folder},resize=short:36,crop=center:32x32", reader.Metadata.DatasetName, "the card's transforms are recorded in the dataset spec");
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, reader.Metadata.SampleShape);
        CollectionAssert.AreEqual(new[] { "n01440764", "n01443537", "n02012849", "n03126707", "n04589890", "n07747607" },
            reader.Metadata.ClassNames!.ToArray(), "the keys folders were matched by");
        var rows = ScaleFixtures.Rows(await ScaleFixtures.ReadAll(cache));
        var labels = (await ScaleFixtures.ReadAll(cache)).SelectMany(b => b.Labels!.Take(b.Rows)).ToArray();
        var expected = Reference();
        Assert.HasCount(expected.Count, rows);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Label, labels[i], expected[i].File);
            for (int c = 0; c < 6; c++)
                Assert.AreEqual(expected[i].Logits[c], rows[i][c], 2e-5, $"{expected[i].File} class {c}");
        }
    }

    // The fixture teacher with another card beside it.
    private static string TeacherWithCard(Func<string, string> editCard)
    {
        var dir = TestPaths.TempDir();
        File.Copy(TestPaths.Fixture("synset-teacher.onnx"), Path.Combine(dir, "t.onnx"));
        File.WriteAllText(Path.Combine(dir, "t.json"), editCard(File.ReadAllText(TestPaths.Fixture("synset-teacher.json"))));
        return Path.Combine(dir, "t.onnx");
    }

    [TestMethod]
    public void NamesThatDoNotLabelTheFoldersAreOneWarningAndAFolderTheCardLacksOneError()
    {
        // Without class_ids the card's names are matched, and no folder is called "tench": one warning, labels by folder order.
        var names = TeacherWithCard(card => card.Replace("\"class_ids\"", "\"unused_ids\""));
        var r = Precompute(names, TestPaths.Fixture("synset-folder"), Path.Combine(TestPaths.TempDir(), "cache"));
        Assert.AreEqual(0, r.Code, r.Stderr);
        var warnings = r.ErrorLines.Where(l => l.StartsWith("warning:")).ToList();
        Assert.HasCount(1, warnings, r.Stderr);
        StringAssert.Contains(warnings[0], "no class folder is named after a teacher class ('n01443537' vs the card's 'tench'");

        // A synset folder the card does not list.
        var tree = TestPaths.TempDir();
        foreach (var f in Directory.EnumerateFiles(TestPaths.Fixture("synset-folder"), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(tree, Path.GetRelativePath(TestPaths.Fixture("synset-folder"), f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        Directory.CreateDirectory(Path.Combine(tree, "n09999999"));
        File.Copy(Path.Combine(tree, "n04589890", "a.jpg"), Path.Combine(tree, "n09999999", "a.jpg"));
        var e = Precompute(TestPaths.Fixture("synset-teacher.onnx"), tree, Path.Combine(TestPaths.TempDir(), "cache"));
        Assert.AreEqual(1, e.Code);
        Assert.HasCount(1, e.ErrorLines, e.Stderr);
        StringAssert.StartsWith(e.ErrorLines[0], $"error: folder:{tree},resize=short:36,crop=center:32x32: class folder 'n09999999' is not a class of the teacher card");
    }
}
