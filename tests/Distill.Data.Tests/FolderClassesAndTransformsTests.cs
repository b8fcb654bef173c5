using static Distill.Data.Tests.FolderDatasetTests;

namespace Distill.Data.Tests;

/// <summary>
/// Folder labels by the teacher's class names (DatasetOptions.TeacherClasses), the card's eval transforms, and the
/// teacher card fields behind them (class_ids, input.resize, input.crop). Expected labels and sizes are worked out
/// by hand from the trees and cards written here.
/// </summary>
[TestClass]
public sealed class FolderClassesAndTransformsTests
{
    // An ImageNet-like subset: 3 synset folders of a 6-class teacher, train and test.
    private static readonly string[] Synsets = { "n01440764", "n01443537", "n01484850", "n01491361", "n01494475", "n01496331" };

    private static string WriteSynsetTree()
    {
        var dir = TempDir.Create();
        foreach (var (split, synset, n) in new[] { ("train", "n01484850", 2), ("train", "n01443537", 1), ("train", "n01496331", 1), ("test", "n01496331", 1), ("test", "n01484850", 1) })
            for (int k = 0; k < n; k++) WriteImage(Path.Combine(dir, split, synset, $"{k}.png"), 6, 4, Pattern(k));
        return dir;
    }

    private static DatasetOptions Options(IReadOnlyList<string>? classes, List<string> warnings) =>
        new() { TeacherClasses = classes, Warn = warnings.Add };

    [TestMethod]
    public void FoldersNamedAfterTeacherClassesGetTheTeachersIndicesInBothSplits()
    {
        var dir = WriteSynsetTree();
        var warnings = new List<string>();
        var train = (FolderDataset)DatasetCatalog.Open("folder:" + dir, "train", Options(Synsets, warnings));
        // Files in folder order n01443537, n01484850 (2), n01496331: card indices 1, 2, 2, 5.
        CollectionAssert.AreEqual(new[] { 1, 2, 2, 5 }, Enumerable.Range(0, train.Count).Select(train.GetLabel).ToArray());
        Assert.AreEqual(6, train.ClassCount, "the teacher's class count, not the 3 folders");
        CollectionAssert.AreEqual(Synsets, train.Classes.ToArray());
        var test = DatasetCatalog.Open("folder:" + dir, "test", Options(Synsets, warnings));
        CollectionAssert.AreEqual(new[] { 2, 5 }, new[] { test.GetLabel(0), test.GetLabel(1) });
        Assert.IsEmpty(warnings);
        // The labels are part of the fingerprint: the same tree labelled by folder order is other data.
        Assert.AreNotEqual(train.Fingerprint, DatasetCatalog.Open("folder:" + dir, "train").Fingerprint);
    }

    [TestMethod]
    public void AFolderTheCardLacksIsOneErrorLine()
    {
        var dir = WriteSynsetTree();
        WriteImage(Path.Combine(dir, "train", "n09999999", "x.png"), 6, 4, Pattern(1));
        var e = Error(() => DatasetCatalog.Open("folder:" + dir, "train", Options(Synsets, new List<string>())));
        StringAssert.Contains(e, "class folder 'n09999999' is not a class of the teacher card");
        StringAssert.Contains(e, "1 of 4 folders");
        // Names that occur twice in the card cannot label a folder.
        var twice = new[] { "n01443537", "crane", "n01484850", "crane", "n01496331" };
        WriteImage(Path.Combine(dir, "train", "crane", "x.png"), 6, 4, Pattern(1));
        Directory.Delete(Path.Combine(dir, "train", "n09999999"), true);
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + dir, "train", Options(twice, new List<string>()))),
            "class folder 'crane' names more than one class of the teacher card");
    }

    [TestMethod]
    public void LabelsThatAreNotTheTeachersClassesAreSaidOnce()
    {
        var dir = WriteSynsetTree();
        var warnings = new List<string>();
        var ds = DatasetCatalog.Open("folder:" + dir, "train", Options(new[] { "tench", "goldfish", "great white shark" }, warnings));
        CollectionAssert.AreEqual(new[] { 0, 1, 1, 2 }, Enumerable.Range(0, ds.Count).Select(ds.GetLabel).ToArray(), "folder order");
        Assert.HasCount(1, warnings);
        StringAssert.StartsWith(warnings[0], "warning: folder:" + dir + ": no class folder is named after a teacher class ('n01443537' vs the card's 'tench'");
        var e = new List<string>();
        DatasetCatalog.Open("folder:" + dir, "train", Options(null, e));
        Assert.HasCount(1, e);
        StringAssert.Contains(e[0], "the teacher card lists no classes");
        Assert.IsFalse(e.Concat(warnings).Any(w => w.Contains('\n')));
        // Folders named after the teacher's classes: nothing to say.
        DatasetCatalog.Open("folder:" + dir, "train", Options(Synsets, e));
        Assert.HasCount(1, e);
    }

    [TestMethod]
    public void TheCardsTransformsApplyWhereTheSpecSetsNoneAndJoinTheName()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "a", "wide.png"), 40, 20, Pattern(1));
        WriteImage(Path.Combine(dir, "a", "tall.png"), 10, 30, Pattern(2));
        var card = new DatasetOptions { ShortSide = 16, Crop = new CropSize(12, 14) };
        var ds = DatasetCatalog.Open("folder:" + dir, "train", card);
        Assert.AreEqual($"folder:{dir},resize=short:16,crop=center:12x14", ds.Name, "train-student reopens this name without the card");
        CollectionAssert.AreEqual(new[] { 3, 12, 14 }, ds.SampleShape);
        var spelled = DatasetCatalog.Open(ds.Name, "train");
        Assert.AreEqual(ds.Fingerprint, spelled.Fingerprint);
        CollectionAssert.AreEqual(Read(ds), Read(spelled));
        // The spec's own options win, one by one; size=WxH counts as a resize.
        var own = DatasetCatalog.Open($"folder:{dir},crop=center:8", "train", card);
        Assert.AreEqual($"folder:{dir},crop=center:8,resize=short:16", own.Name);
        CollectionAssert.AreEqual(new[] { 3, 8, 8 }, own.SampleShape);
        var sized = DatasetCatalog.Open($"folder:{dir},size=20x10", "train", card);
        Assert.AreEqual($"folder:{dir},size=20x10,crop=center:12x14", sized.Name);
        // The geometry is in the fingerprint.
        Assert.AreNotEqual(ds.Fingerprint, DatasetCatalog.Open($"folder:{dir},resize=short:17,crop=center:12x14", "train").Fingerprint);
        Assert.AreNotEqual(ds.Fingerprint, DatasetCatalog.Open($"folder:{dir},resize=short:16,crop=center:14x12", "train").Fingerprint);
        // A crop alone cuts every image to one size; a shorter-side resize alone cannot.
        CollectionAssert.AreEqual(new[] { 3, 5, 5 }, DatasetCatalog.Open($"folder:{dir},crop=center:5", "train").SampleShape);
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},resize=short:16", "train")), "resize=short:16 gives every image its own size; add crop=center:HxW");
    }

    [TestMethod]
    public void NonFolderDatasetsSayTheyIgnoreTheCardsTransforms()
    {
        var x = Path.Combine(TempDir.Create(), "x.npy");
        File.WriteAllBytes(x, NpyHeader("|u1", "(2, 3)").Concat(new byte[6]).ToArray());
        var warnings = new List<string>();
        DatasetCatalog.Open("npy:" + x, "train", new DatasetOptions { Crop = new CropSize(2, 2), Warn = warnings.Add });
        CollectionAssert.AreEqual(new[] { $"warning: the teacher card's resize/crop apply to folder: datasets; npy:{x} is read as it is" }, warnings);
    }

    private static byte[] NpyHeader(string descr, string shape)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var header = dict.PadRight(total - 10 - 1) + "\n";
        return new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, (byte)(header.Length >> 8) }
            .Concat(System.Text.Encoding.ASCII.GetBytes(header)).ToArray();
    }

    [TestMethod]
    public void BadTransformOptionsAreOneLineErrors()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "a", "1.png"), 4, 4, Pattern(1));
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},resize=256", "train")), "folder option resize expects short:S");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},resize=short:0,crop=center:2", "train")), "folder option resize expects short:S");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},crop=224", "train")), "folder option crop expects center:HxW");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},crop=center:5000", "train")), "folder option crop expects center:HxW");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},size=8,resize=short:8,crop=center:4", "train")), "size=WxH and resize=short:S exclude each other");
    }

    private static string WriteCard(string json)
    {
        var path = Path.Combine(TempDir.Create(), "teacher.json");
        File.WriteAllText(path, json);
        return path;
    }

    [TestMethod]
    public void CardClassIdsAndTransformsAreRead()
    {
        var card = TeacherCard.Load(WriteCard("""
            { "input": { "name": "x", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "resize": "short:256", "crop": "center:224" },
              "classes": ["tench", "crane", "crane"], "class_ids": ["n01440764", "n02012849", "n03126707"] }
            """));
        Assert.AreEqual(256, card.ShortSide);
        Assert.AreEqual(new CropSize(224, 224), card.Crop);
        CollectionAssert.AreEqual(new[] { "n01440764", "n02012849", "n03126707" }, card.ClassKeys, "ids, not the ambiguous names");
        var o = TeacherCard.DatasetOptionsFor(card, null);
        Assert.AreEqual(256, o.ShortSide);
        Assert.AreSame(card.ClassIds, o.TeacherClasses);
        var names = TeacherCard.Load(WriteCard("""{ "classes": ["a", "b"], "input": { "crop": "center:3x5" } }"""));
        CollectionAssert.AreEqual(new[] { "a", "b" }, names.ClassKeys);
        Assert.AreEqual(new CropSize(3, 5), names.Crop);
        Assert.IsNull(names.ShortSide);
        Assert.IsNull(TeacherCard.DatasetOptionsFor(null, null).TeacherClasses);
    }

    [TestMethod]
    public void BadCardFieldsNameTheCard()
    {
        var a = WriteCard("""{ "classes": ["a", "b"], "class_ids": ["x"] }""");
        Assert.AreEqual($"{a}: class_ids has 1 entries but classes has 2", Error(() => TeacherCard.Load(a)));
        var b = WriteCard("""{ "class_ids": ["x", "y", "x"] }""");
        Assert.AreEqual($"{b}: class_ids lists 'x' more than once", Error(() => TeacherCard.Load(b)));
        var c = WriteCard("""{ "input": { "resize": "256" } }""");
        StringAssert.StartsWith(Error(() => TeacherCard.Load(c)), $"{c}: input.resize expects short:S");
        var d = WriteCard("""{ "input": { "crop": "middle:224" } }""");
        StringAssert.StartsWith(Error(() => TeacherCard.Load(d)), $"{d}: input.crop expects center:HxW");
    }
}
