using Distill.Data.Scenes;
using SkiaSharp;

namespace Distill.Data.Tests;

/// <summary>yolo:DIR read back against scenes composed in memory, and every kind of bad input as one line.</summary>
[TestClass]
public sealed class YoloDatasetTests
{
    private static void WritePng(string path, int width, int height, Func<int, int, byte> value, SKColorType type = SKColorType.Gray8)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, type, SKAlphaType.Opaque));
        var px = bmp.GetPixelSpan();
        int bytes = type == SKColorType.Gray8 ? 1 : 4;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int b = 0; b < bytes; b++) px[y * bmp.RowBytes + x * bytes + b] = b == 3 ? (byte)255 : value(x, y);
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>A 3-class dataset of 6x4 grey images: train a.png, b.png; test (as val/) c.png; masks for all.</summary>
    private static string WriteTiny()
    {
        var dir = TempDir.Create();
        foreach (var (split, name, label) in new[] { ("train", "a", "0 0.5 0.5 1 1\n"), ("train", "b", "\n2 0.25 0.375 0.5 0.25\n1 0.75 0.5 0.5 1\n"), ("val", "c", "") })
        {
            WritePng(Path.Combine(dir, "images", split, name + ".png"), 6, 4, (x, y) => (byte)(name[0] + 10 * x + y));
            WritePng(Path.Combine(dir, "masks", split, name + ".png"), 6, 4, (x, y) => (byte)((x + y) % 4));
            Directory.CreateDirectory(Path.Combine(dir, "labels", split));
            File.WriteAllText(Path.Combine(dir, "labels", split, name + ".txt"), label);
        }
        File.WriteAllLines(Path.Combine(dir, "classes.txt"), new[] { "cat", "dog", "bird" });
        return dir;
    }

    private static string Error(Action open)
    {
        var e = Assert.ThrowsExactly<DistillException>(open);
        Assert.IsFalse(e.Message.Contains('\n'), "one line");
        return e.Message;
    }

    private static string Fingerprint(string dir, string options = "") => DatasetCatalog.Open($"yolo:{dir}{options}", "train").Fingerprint;

    [TestMethod]
    public void GeneratedScenesReadBackAsComposed()
    {
        var parent = TempDir.Create();
        string dir = Path.Combine(parent, "scenes");
        var source = DatasetCatalog.Open("fashion-mnist", "test");
        SceneWriter.Write(dir, 9, new[] { new SceneWriter.Split("test", source, 6) }, SceneWriter.FashionMnistClasses, false, 2);

        var ds = DatasetCatalog.Open($"yolo:{dir}", "test");
        Assert.IsInstanceOfType<YoloDataset>(ds);
        CollectionAssert.AreEqual(new[] { 1, 64, 64 }, ds.SampleShape, "one channel: the canvases are greyscale PNGs");
        Assert.AreEqual(6, ds.Count);
        Assert.IsFalse(ds.HasLabels, "a scene has no single class label");
        Assert.IsNull(ds.ClassCount);
        var targets = (IDenseTargets)ds;
        Assert.AreEqual(11, targets.Masks!.MaskClassCount);
        Assert.AreEqual((64, 64), targets.Masks.MaskSize);
        Assert.AreEqual(10, targets.Boxes!.BoxClassCount);
        CollectionAssert.AreEqual(SceneWriter.FashionMnistClasses, ((YoloDataset)ds).ClassNames!.ToArray());

        var pixels = new float[6 * 64 * 64];
        var masks = new byte[6 * 64 * 64];
        ds.ReadSamples(0, 6, pixels);
        targets.Masks.ReadMasks(0, 6, masks);
        var composer = new SceneComposer(source);
        for (int i = 0; i < 6; i++)
        {
            var scene = composer.Compose(composer.Draw(9, 1, i));
            CollectionAssert.AreEqual(scene.Pixels.Select(p => (float)p).ToArray(), pixels.AsSpan(i * 4096, 4096).ToArray(), $"canvas {i} pixels");
            CollectionAssert.AreEqual(scene.Mask, masks.AsSpan(i * 4096, 4096).ToArray(), $"canvas {i} mask");
            var boxes = targets.Boxes.GetBoxes(i);
            Assert.HasCount(scene.Objects.Count, boxes);
            for (int k = 0; k < boxes.Count; k++)
            {
                var o = scene.Objects[k];
                Assert.AreEqual(o.ClassIndex, boxes[k].ClassIndex);
                Assert.AreEqual((o.X0 + o.X1) / 128.0, boxes[k].CenterX, 1e-6);
                Assert.AreEqual((o.Y0 + o.Y1) / 128.0, boxes[k].CenterY, 1e-6);
                Assert.AreEqual((o.X1 - o.X0) / 64.0, boxes[k].Width, 1e-6);
                Assert.AreEqual((o.Y1 - o.Y0) / 64.0, boxes[k].Height, 1e-6);
                // The box is the visible extent: its edge rows and columns hold a pixel of its class.
                byte cls = (byte)(o.ClassIndex + 1);
                var mask = scene.Mask;
                Assert.IsTrue(Enumerable.Range(o.X0, o.X1 - o.X0).Any(x => mask[o.Y0 * 64 + x] == cls), "top edge");
                Assert.IsTrue(Enumerable.Range(o.X0, o.X1 - o.X0).Any(x => mask[(o.Y1 - 1) * 64 + x] == cls), "bottom edge");
                Assert.IsTrue(Enumerable.Range(o.Y0, o.Y1 - o.Y0).Any(y => mask[y * 64 + o.X0] == cls), "left edge");
                Assert.IsTrue(Enumerable.Range(o.Y0, o.Y1 - o.Y0).Any(y => mask[y * 64 + o.X1 - 1] == cls), "right edge");
            }
            // Every garment pixel in the mask lies in a box of its class, and garments are non-zero pixels.
            for (int p = 0; p < 4096; p++)
            {
                if (scene.Mask[p] == 0) continue;
                Assert.AreNotEqual(0, scene.Pixels[p]);
                int x = p % 64, y = p / 64;
                Assert.IsTrue(scene.Objects.Any(o => o.ClassIndex + 1 == scene.Mask[p] && x >= o.X0 && x < o.X1 && y >= o.Y0 && y < o.Y1), $"pixel ({x},{y}) of canvas {i}");
            }
        }
    }

    [TestMethod]
    public void LayoutLabelsMasksAndTheValFolderAsTestSplit()
    {
        var dir = WriteTiny();
        var train = (YoloDataset)DatasetCatalog.Open($"yolo:{dir}", "train");
        Assert.AreEqual(2, train.Count);
        CollectionAssert.AreEqual(new[] { 1, 4, 6 }, train.SampleShape);
        var b = train.Boxes!.GetBoxes(1);
        CollectionAssert.AreEqual(new[] { new ObjectBox(2, 0.25f, 0.375f, 0.5f, 0.25f), new ObjectBox(1, 0.75f, 0.5f, 0.5f, 1f) }, b.ToArray());
        var px = new float[24];
        train.ReadSamples(1, 1, px);
        Assert.AreEqual('b' + 10 * 5 + 3, px[3 * 6 + 5], "pixel (5,3) of b.png");
        var masks = new byte[2 * 24];
        train.Masks!.ReadMasks(0, 2, masks);
        Assert.AreEqual((5 + 3) % 4, masks[24 + 3 * 6 + 5]);

        var test = (YoloDataset)DatasetCatalog.Open($"yolo:{dir}", "test");
        Assert.AreEqual(1, test.Count, "val/ serves as the test split");
        Assert.IsEmpty(test.Boxes!.GetBoxes(0), "an empty label file: no objects");

        // Options: no masks, size (masks resized by nearest neighbour with half-pixel centres), channels, classes.
        Assert.IsNull(((YoloDataset)DatasetCatalog.Open($"yolo:{dir},masks=none", "train")).Masks);
        var small = (YoloDataset)DatasetCatalog.Open($"yolo:{dir},size=3x2,channels=3,classes=5", "train");
        CollectionAssert.AreEqual(new[] { 3, 2, 3 }, small.SampleShape);
        Assert.AreEqual(6, small.Masks!.MaskClassCount);
        Assert.IsNull(small.ClassNames, "classes.txt names 3 classes, not 5");
        var half = new byte[6];
        small.Masks.ReadMasks(0, 1, half);
        // Rows floor((i + 0.5) · 4 / 2) = 1, 3; columns floor((i + 0.5) · 6 / 3) = 1, 3, 5; value (x + y) % 4.
        CollectionAssert.AreEqual(new byte[] { 2, 0, 2, 0, 2, 0 }, half);

        // No labels folder: no boxes; nothing needs the class count then.
        Directory.Delete(Path.Combine(dir, "labels"), true);
        File.Delete(Path.Combine(dir, "classes.txt"));
        var imagesOnly = (YoloDataset)DatasetCatalog.Open($"yolo:{dir},masks=none", "train");
        Assert.IsNull(imagesOnly.Boxes);
        Assert.IsNull(imagesOnly.Masks);
    }

    [TestMethod]
    public void FingerprintCoversImagesLabelsAndMasks()
    {
        var dir = WriteTiny();
        string original = Fingerprint(dir);
        var copy = TempDir.Create();
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(copy, Path.GetRelativePath(dir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        Assert.AreEqual(original, Fingerprint(copy), "the same files elsewhere");
        Assert.AreNotEqual(original, Fingerprint(dir, ",masks=none"));

        File.WriteAllText(Path.Combine(copy, "labels", "train", "a.txt"), "0 0.5 0.5 1 0.9\n");
        Assert.AreNotEqual(original, Fingerprint(copy), "a label changed");
        File.Copy(Path.Combine(dir, "labels", "train", "a.txt"), Path.Combine(copy, "labels", "train", "a.txt"), true);
        WritePng(Path.Combine(copy, "masks", "train", "a.png"), 6, 4, (x, y) => 0);
        Assert.AreNotEqual(original, Fingerprint(copy), "a mask changed");
        File.Copy(Path.Combine(dir, "masks", "train", "a.png"), Path.Combine(copy, "masks", "train", "a.png"), true);
        WritePng(Path.Combine(copy, "images", "train", "a.png"), 6, 4, (x, y) => 1);
        Assert.AreNotEqual(original, Fingerprint(copy), "an image changed");
    }

    [TestMethod]
    public void BadLabelLinesAreOneLineNamingFileAndLine()
    {
        var dir = WriteTiny();
        string file = Path.Combine(dir, "labels", "train", "b.txt");
        void Label(string text) => File.WriteAllText(file, text);
        string Open() => Error(() => DatasetCatalog.Open($"yolo:{dir}", "train"));

        Label("0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n");
        Assert.AreEqual($"{file} line 2: class 3 is not below the dataset's 3 classes", Open());
        Label("1 0.5 1.2 0.2 0.2\n");
        Assert.AreEqual($"{file} line 1: box 0.5 1.2 0.2 0.2 has a value outside [0, 1] (normalized cx cy w h expected)", Open());
        Label("1 0.9 0.5 0.4 0.2\n");
        Assert.AreEqual($"{file} line 1: box 0.9 0.5 0.4 0.2 reaches outside the image [0, 1]", Open());
        Label("1 0.5 0.5 0.2\n");
        Assert.AreEqual($"{file} line 1: expected 'class cx cy w h', got 4 values", Open());
        Label("1 0.5 0.5 0.2 0.2 0.3 0.4\n");
        Assert.AreEqual($"{file} line 1: expected 'class cx cy w h', got 7 values", Open(), "a segmentation polygon line");
        Label("-1 0.5 0.5 0.2 0.2\n");
        Assert.AreEqual($"{file} line 1: class '-1' is not a non-negative integer", Open());
        Label("1 0.5 abc 0.2 0.2\n");
        Assert.AreEqual($"{file} line 1: 'abc' is not a number", Open());
        Label("1 0.5 0.5 0.2 0.2\n");
        Assert.AreEqual($"{file} line 1: class 1 is not below the dataset's 1 classes", Error(() => DatasetCatalog.Open($"yolo:{dir},classes=1", "train")));

        File.Delete(file);
        Assert.AreEqual($"label file missing: {file} (every image in {Path.Combine(dir, "images", "train")} needs one)", Open());
    }

    [TestMethod]
    public void BadMasksAndSpecsAreOneLine()
    {
        var dir = WriteTiny();
        string mask = Path.Combine(dir, "masks", "train", "b.png"), image = Path.Combine(dir, "images", "train", "b.png");
        byte[] Read(string options = "")
        {
            var ds = (YoloDataset)DatasetCatalog.Open($"yolo:{dir}{options}", "train");
            var m = new byte[2 * 24];
            ds.Masks!.ReadMasks(0, 2, m);
            return m;
        }

        WritePng(mask, 5, 4, (x, y) => 0);
        Assert.AreEqual($"mask {mask} is 5x4 but its image {image} is 6x4", Error(() => Read()));
        Assert.AreEqual($"mask {mask} is 5x4 but its image {image} is 6x4", Error(() => Read(",size=3x2")), "checked against the file, not the sample size");
        WritePng(mask, 6, 4, (x, y) => (byte)(x == 2 && y == 1 ? 4 : 0));
        Assert.AreEqual($"mask {mask} has class index 4 at (2, 1); with 3 classes indices are 0 (background) to 3", Error(() => Read()));
        WritePng(mask, 6, 4, (x, y) => 1, SKColorType.Rgba8888);
        StringAssert.StartsWith(Error(() => Read()), $"mask {mask} is not an 8-bit greyscale PNG (bit depth 8, colour type ");
        File.WriteAllText(mask, "not a png");
        Assert.AreEqual($"mask {mask} is not a PNG file", Error(() => Read()));
        File.Delete(mask);
        Assert.AreEqual($"mask file missing: {mask} (every image in {Path.Combine(dir, "images", "train")} needs one)",
            Error(() => DatasetCatalog.Open($"yolo:{dir}", "train")));
        Assert.IsNull(((YoloDataset)DatasetCatalog.Open($"yolo:{dir},masks=none", "train")).Masks, "masks=none needs none");

        Assert.AreEqual($"masks folder not found: {Path.Combine(dir, "elsewhere", "train")} (masks=PATH needs PATH/train/)",
            Error(() => DatasetCatalog.Open($"yolo:{dir},masks={Path.Combine(dir, "elsewhere")}", "train")));
        Assert.AreEqual("unknown yolo option 'mask=x' (expected masks=PATH|none, classes=K, size=WxH or channels=1|3)",
            Error(() => DatasetCatalog.Open($"yolo:{dir},mask=x", "train")));
        Assert.AreEqual("yolo option channels must be 1 or 3, got '2'", Error(() => DatasetCatalog.Open($"yolo:{dir},channels=2", "train")));
        Assert.AreEqual("yolo option classes must be a class count 1..254, got '0'", Error(() => DatasetCatalog.Open($"yolo:{dir},classes=0", "train")));
        File.Delete(Path.Combine(dir, "classes.txt"));
        Assert.AreEqual($"{dir} has labels or masks but no class count: add classes.txt (one class name per line) or pass classes=K",
            Error(() => DatasetCatalog.Open($"yolo:{dir},masks=none", "train")));
        Directory.Delete(Path.Combine(dir, "images", "val"), true);
        Assert.AreEqual($"{dir} has no images/test/ folder (nor images/val/)", Error(() => DatasetCatalog.Open($"yolo:{dir},classes=3", "test")));
    }

    [TestMethod]
    public void MaskResizeTakesTheCentrePixelOfEachBlock()
    {
        // 4x4 -> 2x2: rows and columns floor((i + 0.5) · 2) = 1, 3.
        var mask = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var half = new byte[4];
        MaskResize.Nearest(mask, 1, 4, 4, half, 2, 2);
        CollectionAssert.AreEqual(new byte[] { 5, 7, 13, 15 }, half);
        // 64 -> 16: pixel 4i + 2; 3 -> 5 (enlarging): floor((i + 0.5) · 3 / 5) = 0, 0, 1, 2, 2.
        Assert.AreEqual(4 * 7 + 2, MaskResize.SourceIndex(7, 64, 16));
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 2, 2 }, Enumerable.Range(0, 5).Select(i => MaskResize.SourceIndex(i, 3, 5)).ToArray());
    }
}
