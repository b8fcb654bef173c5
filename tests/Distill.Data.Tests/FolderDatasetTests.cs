using SkiaSharp;

namespace Distill.Data.Tests;

/// <summary>ImageFolder layouts of PNG and JPEG files drawn here with known pixels.</summary>
[TestClass]
public sealed class FolderDatasetTests
{
    private static SKColor Color(int seed, int y, int x) => new((byte)(seed * 40 + x * 20), (byte)(y * 30 + 5), (byte)(200 - seed * 10 - x));

    private static void Save(string path, int seed, int height = 5, int width = 6, SKEncodedImageFormat format = SKEncodedImageFormat.Png,
        Func<int, int, SKColor>? color = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) bmp.SetPixel(x, y, color?.Invoke(y, x) ?? Color(seed, y, x));
        using var data = bmp.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [TestMethod]
    public void TrainAndTestFoldersWithClassesInNameOrderAndExactPngPixels()
    {
        var root = TestDirs.Create();
        Save(Path.Combine(root, "train", "dog", "b.png"), 1);
        Save(Path.Combine(root, "train", "dog", "a.png"), 2);
        Save(Path.Combine(root, "train", "cat", "z.png"), 3);
        Save(Path.Combine(root, "test", "cat", "t.png"), 4);
        Save(Path.Combine(root, "test", "dog", "u.jpg"), 5, format: SKEncodedImageFormat.Jpeg, color: (_, _) => new SKColor(100, 150, 200));
        File.WriteAllText(Path.Combine(root, "train", "dog", "notes.txt"), "not an image");

        var train = DatasetCatalog.Open($"folder:{root}", "train");
        Assert.AreEqual(3, train.Count);
        CollectionAssert.AreEqual(new[] { 3, 5, 6 }, train.SampleShape);
        Assert.AreEqual(2, train.ClassCount);
        CollectionAssert.AreEqual(new[] { 0, 1, 1 }, Enumerable.Range(0, 3).Select(train.GetLabel).ToArray());   // cat/z, dog/a, dog/b
        var buf = new float[3 * 3 * 30];
        train.ReadSamples(0, 3, buf);
        foreach (var (sample, seed) in new[] { (0, 3), (1, 2), (2, 1) })
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 6; x++)
                {
                    var c = Color(seed, y, x);
                    int at = sample * 90 + y * 6 + x;
                    Assert.AreEqual(c.Red, buf[at]); Assert.AreEqual(c.Green, buf[at + 30]); Assert.AreEqual(c.Blue, buf[at + 60]);
                }

        var test = DatasetCatalog.Open($"folder:{root}", "test");
        Assert.AreEqual(2, test.Count);
        var jpeg = new float[90];
        test.ReadSamples(1, 1, jpeg);
        for (int p = 0; p < 30; p++)
        {
            Assert.AreEqual(100, jpeg[p], 4, "JPEG is lossy but close");
            Assert.AreEqual(150, jpeg[30 + p], 4);
            Assert.AreEqual(200, jpeg[60 + p], 4);
        }

        string before = train.Fingerprint;
        Save(Path.Combine(root, "train", "cat", "z.png"), 9);
        Assert.AreNotEqual(before, DatasetCatalog.Open($"folder:{root}", "train").Fingerprint);
    }

    [TestMethod]
    public void ResizeAndGrayscaleOptions()
    {
        var root = TestDirs.Create();
        Save(Path.Combine(root, "a", "1.png"), 0, 8, 8, color: (_, _) => new SKColor(10, 200, 90));
        Save(Path.Combine(root, "b", "1.png"), 0, 4, 6, color: (_, _) => new SKColor(250, 0, 0));
        var d = DatasetCatalog.Open($"folder:{root},size=3x2,channels=1", "train");
        CollectionAssert.AreEqual(new[] { 1, 3, 2 }, d.SampleShape);
        var buf = new float[12];
        d.ReadSamples(0, 2, buf);
        // A uniform image stays uniform under any resampling; one channel is the ITU-R 601 luminance.
        for (int i = 0; i < 6; i++) Assert.AreEqual(0.299 * 10 + 0.587 * 200 + 0.114 * 90, buf[i], 1.0);
        for (int i = 6; i < 12; i++) Assert.AreEqual(0.299 * 250, buf[i], 1.0);
        // Without a size, the first image's size (8x8) is everyone's.
        CollectionAssert.AreEqual(new[] { 3, 8, 8 }, DatasetCatalog.Open($"folder:{root}", "train").SampleShape);
    }

    [TestMethod]
    public void BadFoldersAreOneLineErrors()
    {
        var root = TestDirs.Create();
        Save(Path.Combine(root, "a", "1.png"), 0);
        var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"folder:{root}", "test"));
        Assert.AreEqual($"{root} has no train/ and test/ subfolders, so it is a single (train) split", e.Message);
        e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"folder:{root},size=big", "train"));
        Assert.AreEqual("folder dataset option 'size=big' is not size=HxW or channels=1|3", e.Message);

        Directory.CreateDirectory(Path.Combine(root, "b"));
        e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"folder:{root}", "train"));
        Assert.AreEqual($"class folder {Path.Combine(root, "b")} holds no .png or .jpg images", e.Message);

        File.WriteAllText(Path.Combine(root, "b", "broken.png"), "not a png");
        var d = DatasetCatalog.Open($"folder:{root}", "train");
        e = Assert.ThrowsExactly<DistillException>(() => d.ReadSamples(0, 2, new float[180]));
        Assert.AreEqual($"{Path.Combine(root, "b", "broken.png")} is not a readable PNG or JPEG image", e.Message);
    }
}
