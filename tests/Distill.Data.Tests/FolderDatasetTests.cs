using SkiaSharp;

namespace Distill.Data.Tests;

/// <summary>ImageFolder trees of PNG and JPEG files written here with SkiaSharp (which also proves its native library loads).</summary>
[TestClass]
public sealed class FolderDatasetTests
{
    internal delegate (byte R, byte G, byte B, byte A) PixelAt(int x, int y);

    // A different colour at every pixel; the seed tells images apart.
    internal static PixelAt Pattern(int seed) => (x, y) => ((byte)(seed * 17 + x * 40 + y), (byte)(seed * 29 + y * 50 + x), (byte)(200 - seed * 3 - x - y), 255);

    // Gentle gradients, which JPEG keeps to within a few levels.
    private static readonly PixelAt Smooth = (x, y) => ((byte)(100 + 4 * x), (byte)(80 + 4 * y), (byte)(60 + x + y), 255);

    internal static void WriteImage(string path, int width, int height, PixelAt pixel, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = bmp.GetPixelSpan();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b, a) = pixel(x, y);
                int o = y * bmp.RowBytes + 4 * x;
                (px[o], px[o + 1], px[o + 2], px[o + 3]) = (r, g, b, a);
            }
        using var data = bmp.Encode(format, quality);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static void WriteGrayPng(string path, int width, int height, Func<int, int, byte> value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) px[y * bmp.RowBytes + x] = value(x, y);
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static void AssertPixels(float[] values, int sample, int width, int height, PixelAt expected, double tolerance = 0)
    {
        int plane = width * height, at = sample * 3 * plane;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b, _) = expected(x, y);
                Assert.AreEqual(r, values[at + y * width + x], tolerance, $"R at ({x},{y})");
                Assert.AreEqual(g, values[at + plane + y * width + x], tolerance, $"G at ({x},{y})");
                Assert.AreEqual(b, values[at + 2 * plane + y * width + x], tolerance, $"B at ({x},{y})");
            }
    }

    internal static float[] Read(IDataset ds, int start = 0, int count = -1)
    {
        if (count < 0) count = ds.Count - start;
        var buf = new float[count * ds.SampleSize()];
        ds.ReadSamples(start, count, buf);
        return buf;
    }

    /// <summary>
    /// train/ with classes dog, ant, cat (ordinal: ant 0, cat 1, dog 2) and test/ with ant and cat; 4×3 PNGs except
    /// one JPEG and one grayscale PNG. File names chosen so that ordinal order differs from a culture-aware one.
    /// </summary>
    private static string WriteTree()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "train", "dog", "b.png"), 4, 3, Pattern(1));
        WriteImage(Path.Combine(dir, "train", "dog", "a.png"), 4, 3, Pattern(2));
        WriteImage(Path.Combine(dir, "train", "dog", "B.png"), 4, 3, Pattern(3));
        WriteImage(Path.Combine(dir, "train", "ant", "sub", "z.png"), 4, 3, Pattern(4));
        WriteImage(Path.Combine(dir, "train", "ant", "m.PNG"), 4, 3, Pattern(5));
        WriteGrayPng(Path.Combine(dir, "train", "cat", "gray.png"), 4, 3, (x, y) => (byte)(x * 60 + y * 7));
        WriteImage(Path.Combine(dir, "train", "cat", "photo.jpg"), 4, 3, Smooth, SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllText(Path.Combine(dir, "train", "cat", "notes.txt"), "not an image");
        WriteImage(Path.Combine(dir, "test", "cat", "t.png"), 4, 3, Pattern(7));
        WriteImage(Path.Combine(dir, "test", "ant", "t.png"), 6, 5, Pattern(8)); // other size: resized to train's 4x3
        return dir;
    }

    [TestMethod]
    public void ClassesFromFolderNamesFilesInOrdinalOrderPngExact()
    {
        var dir = WriteTree();
        var ds = (FolderDataset)DatasetCatalog.Open("folder:" + dir, "train");
        Assert.AreEqual("folder:" + dir, ds.Name);
        CollectionAssert.AreEqual(new[] { "ant", "cat", "dog" }, ds.Classes.ToArray());
        Assert.AreEqual(3, ds.ClassCount);
        Assert.AreEqual(7, ds.Count);
        CollectionAssert.AreEqual(new[] { 3, 3, 4 }, ds.SampleShape, "size of the first image, 3 channels");
        string[] expectedFiles = { "ant/m.PNG", "ant/sub/z.png", "cat/gray.png", "cat/photo.jpg", "dog/B.png", "dog/a.png", "dog/b.png" };
        CollectionAssert.AreEqual(expectedFiles.Select(f => Path.Combine(dir, "train", f)).ToArray(), Enumerable.Range(0, 7).Select(ds.PathOf).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 2, 2, 2 }, Enumerable.Range(0, 7).Select(ds.GetLabel).ToArray());

        var all = Read(ds);
        AssertPixels(all, 0, 4, 3, Pattern(5));
        AssertPixels(all, 1, 4, 3, Pattern(4));
        AssertPixels(all, 4, 4, 3, Pattern(3));
        AssertPixels(all, 5, 4, 3, Pattern(2));
        AssertPixels(all, 6, 4, 3, Pattern(1));
        // Grayscale file: R = G = B = the stored value.
        Assert.AreEqual(0, File.ReadAllBytes(ds.PathOf(2))[25], "PNG colour type 0: a grayscale file");
        AssertPixels(all, 2, 4, 3, (x, y) => { byte v = (byte)(x * 60 + y * 7); return (v, v, v, 255); });
        // JPEG is lossy: close, not equal.
        AssertPixels(all, 3, 4, 3, Smooth, tolerance: 4);
        // One sample at a time (the trainer's path) gives the same values as the parallel batch.
        var one = new float[ds.SampleSize()];
        ds.ReadSamples(5, 1, one);
        CollectionAssert.AreEqual(all.Skip(5 * one.Length).Take(one.Length).ToArray(), one);
    }

    [TestMethod]
    public void TestSplitSharesClassIndicesAndSizeWithTrain()
    {
        var dir = WriteTree();
        var test = DatasetCatalog.Open("folder:" + dir, "test");
        Assert.AreEqual(2, test.Count);
        Assert.AreEqual(3, test.ClassCount, "dog has no test images but keeps its index");
        CollectionAssert.AreEqual(new[] { 0, 1 }, new[] { test.GetLabel(0), test.GetLabel(1) }, "ant 0, cat 1 as in train");
        CollectionAssert.AreEqual(new[] { 3, 3, 4 }, test.SampleShape, "the 6x5 test image is resized to the first training image's 4x3");
        AssertPixels(Read(test), 1, 4, 3, Pattern(7));
    }

    [TestMethod]
    public void ResizeToTheRequestedSize()
    {
        var dir = TempDir.Create();
        PixelAt teal = (_, _) => (10, 140, 200, 255);
        WriteImage(Path.Combine(dir, "a", "small.png"), 4, 3, teal);
        WriteImage(Path.Combine(dir, "b", "large.png"), 64, 48, teal);
        WriteImage(Path.Combine(dir, "b", "pattern.png"), 64, 48, (x, y) => ((byte)(x * 4), (byte)(y * 5), 0, 255));
        var ds = DatasetCatalog.Open($"folder:{dir},size=16x12", "train");
        CollectionAssert.AreEqual(new[] { 3, 12, 16 }, ds.SampleShape);
        var values = Read(ds);
        // A flat colour stays that colour whether enlarged (bicubic) or reduced (mipmaps).
        AssertPixels(values, 0, 16, 12, teal, tolerance: 1);
        AssertPixels(values, 1, 16, 12, teal, tolerance: 1);
        // A horizontal ramp reduced 4× keeps its average and its order.
        var red = values.Skip(2 * 3 * 192).Take(192).ToArray();
        for (int y = 0; y < 12; y++)
            for (int x = 1; x < 16; x++) Assert.IsTrue(red[y * 16 + x] > red[y * 16 + x - 1], $"ramp increases at ({x},{y})");
        Assert.AreEqual(126, red.Average(), 4);
        // "size=N" is square, and is the same as NxN.
        CollectionAssert.AreEqual(new[] { 3, 8, 8 }, DatasetCatalog.Open($"folder:{dir},size=8", "train").SampleShape);
    }

    [TestMethod]
    public void OneChannelIsPilLuma()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "c", "rgb.png"), 4, 3, Pattern(9));
        WriteGrayPng(Path.Combine(dir, "c", "zgray.png"), 4, 3, (x, y) => (byte)(255 - x * 50 - y));
        var ds = DatasetCatalog.Open($"folder:{dir},channels=1", "train");
        CollectionAssert.AreEqual(new[] { 1, 3, 4 }, ds.SampleShape);
        var values = Read(ds);
        var p = Pattern(9);
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
            {
                var (r, g, b, _) = p(x, y);
                // PIL: L = R*299/1000 + G*587/1000 + B*114/1000, rounded.
                Assert.AreEqual(Math.Round(r * 0.299 + g * 0.587 + b * 0.114), values[y * 4 + x], 1.0, $"luma at ({x},{y})");
                Assert.AreEqual(255 - x * 50 - y, values[12 + y * 4 + x], $"gray at ({x},{y})");
            }
    }

    [TestMethod]
    public void AlphaIsDroppedNotBlended()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "c", "alpha.png"), 2, 1, (x, _) => x == 0 ? ((byte)10, (byte)20, (byte)30, (byte)0) : ((byte)200, (byte)100, (byte)50, (byte)128));
        var values = Read(DatasetCatalog.Open("folder:" + dir, "train"));
        CollectionAssert.AreEqual(new float[] { 10, 200, 20, 100, 30, 50 }, values);
    }

    [TestMethod]
    public void FingerprintFollowsFileBytesNamesAndSettings()
    {
        var dir = WriteTree();
        var a = DatasetCatalog.Open("folder:" + dir, "train");
        Assert.AreEqual(64, a.Fingerprint.Length);
        Assert.AreEqual(a.Fingerprint, DatasetCatalog.Open("folder:" + dir, "train").Fingerprint);
        Assert.AreEqual(a.Fingerprint, DatasetCatalog.Open($"folder:{dir},size=4x3,channels=3", "train").Fingerprint, "same settings, spelled out");
        Assert.AreNotEqual(a.Fingerprint, DatasetCatalog.Open($"folder:{dir},channels=1", "train").Fingerprint);
        Assert.AreNotEqual(a.Fingerprint, DatasetCatalog.Open($"folder:{dir},size=8x6", "train").Fingerprint);

        var file = Path.Combine(dir, "train", "dog", "a.png");
        var bytes = File.ReadAllBytes(file);
        bytes[^20] ^= 1; // inside the image data: the fingerprint sees file bytes, not pixels
        File.WriteAllBytes(file, bytes);
        var changed = DatasetCatalog.Open("folder:" + dir, "train").Fingerprint;
        Assert.AreNotEqual(a.Fingerprint, changed);
        File.Move(Path.Combine(dir, "train", "ant", "m.PNG"), Path.Combine(dir, "train", "ant", "n.PNG"));
        Assert.AreNotEqual(changed, DatasetCatalog.Open("folder:" + dir, "train").Fingerprint);
    }

    internal static string Error(Action action)
    {
        var e = Assert.ThrowsExactly<DistillException>(action);
        Assert.IsFalse(e.Message.Contains('\n'), e.Message);
        return e.Message;
    }

    [TestMethod]
    public void SingleSplitTreeHasNoTestSplit()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "x", "1.png"), 2, 2, Pattern(0));
        WriteImage(Path.Combine(dir, "y", "1.png"), 2, 2, Pattern(1));
        WriteImage(Path.Combine(dir, ".hidden", "1.png"), 2, 2, Pattern(1));
        var train = DatasetCatalog.Open("folder:" + dir, "train");
        Assert.AreEqual(2, train.Count);
        Assert.AreEqual(2, train.ClassCount, "hidden folders are not classes");
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + dir, "test")), "there is no test split");

        // A tree with train/ only has no test split either, and says so.
        var half = TempDir.Create();
        WriteImage(Path.Combine(half, "train", "x", "1.png"), 2, 2, Pattern(0));
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + half, "test")), "has no test/ folder");
    }

    [TestMethod]
    public void EmptyClassUndecodableFileAndBadOptionsAreOneLineErrors()
    {
        var dir = TempDir.Create();
        WriteImage(Path.Combine(dir, "a", "1.png"), 2, 2, Pattern(0));
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllText(Path.Combine(dir, "b", "readme.txt"), "no images here");
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + dir, "train")), "class folder " + Path.Combine(dir, "b") + " has no PNG or JPEG images");

        // A .png that is not one: named when read (decoding is lazy), and when it is the first image (its size is read at open).
        var bad = Path.Combine(dir, "b", "broken.png");
        File.WriteAllText(bad, "this is not a PNG");
        var ds = DatasetCatalog.Open("folder:" + dir, "train");
        var e = Error(() => Read(ds));
        StringAssert.Contains(e, "cannot decode " + bad);
        StringAssert.Contains(Error(() => ds.ReadSamples(1, 1, new float[ds.SampleSize()])), bad);
        Read(ds, 0, 1);
        // A truncated PNG: the header parses, the pixels do not.
        var png = File.ReadAllBytes(Path.Combine(dir, "a", "1.png"));
        File.WriteAllBytes(bad, png[..(png.Length / 2)]);
        StringAssert.Contains(Error(() => Read(ds)), bad);
        File.WriteAllText(Path.Combine(dir, "a", "0.jpg"), "");
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + dir, "train")), Path.Combine(dir, "a", "0.jpg"));

        var empty = TempDir.Create();
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + empty, "train")), "has no class folders");
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:" + Path.Combine(empty, "nope"), "train")), "dataset directory not found");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},channels=2", "train")), "channels must be 1 or 3");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},size=0x5", "train")), "size expects WIDTHxHEIGHT");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},size=big", "train")), "size expects WIDTHxHEIGHT");
        StringAssert.Contains(Error(() => DatasetCatalog.Open($"folder:{dir},colour=rgb", "train")), "unknown folder option 'colour=rgb'");
        StringAssert.Contains(Error(() => DatasetCatalog.Open("folder:", "train")), "folder: needs a directory");
    }
}
