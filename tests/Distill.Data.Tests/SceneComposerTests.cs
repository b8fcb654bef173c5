using System.Security.Cryptography;
using System.Text.Json;
using Distill.Data.Scenes;

namespace Distill.Data.Tests;

/// <summary>Scene composition worked out by hand on tiny garments, and the generator's determinism on Fashion-MNIST.</summary>
[TestClass]
public sealed class SceneComposerTests
{
    /// <summary>Labelled one-channel samples held in memory.</summary>
    private class Garments(int side, byte[][] images, int[] labels) : IDataset
    {
        public string Name => "garments";
        public string Split => "train";
        public int Count => images.Length;
        public int[] SampleShape => new[] { 1, side, side };
        public int? ClassCount => labels.Max() + 1;
        public bool HasLabels => true;
        public string Fingerprint => "";
        public virtual void ReadSamples(int start, int count, Span<float> destination)
        {
            for (int i = 0; i < count; i++) Pixels.ToFloats(images[start + i], destination[(i * side * side)..]);
        }
        public int GetLabel(int index) => labels[index];
    }

    /// <summary>Garments whose pixels cannot be read (a truncated file, say).</summary>
    private sealed class Unreadable() : Garments(28, new byte[3][], new[] { 0, 1, 2 })
    {
        public override void ReadSamples(int start, int count, Span<float> destination) => throw new DistillException("garment file truncated");
    }

    // Two 3x3 garments: a plus sign (class 4) and a full square with a hole in the middle (class 7).
    private static readonly byte[] Plus = { 0, 9, 0, 9, 9, 9, 0, 9, 0 };
    private static readonly byte[] Ring = { 5, 5, 5, 5, 0, 5, 5, 5, 5 };
    private static SceneComposer Composer(int canvas = 8) => new(new Garments(3, new[] { Plus, Ring }, new[] { 4, 7 }), canvas);

    private static string Grid(byte[] values, int n) =>
        string.Join("\n", Enumerable.Range(0, n).Select(y => string.Concat(Enumerable.Range(0, n).Select(x => values[y * n + x].ToString("X")))));

    [TestMethod]
    public void LaterGarmentsCoverEarlierOnesWhereTheyAreNonZeroAndBoxesFollowTheVisiblePixels()
    {
        // Plus at (1,1) occupies (2,1), (1,2), (2,2), (3,2), (2,3); the ring at (2,2) covers (2..4, 2..4) but its
        // hole (3,3). The plus keeps (2,1) and (1,2) visible: box columns 1..2, rows 1..2.
        var scene = Composer().Compose(new[] { new GarmentPlacement(0, 4, 3, 1, 1), new GarmentPlacement(1, 7, 3, 2, 2) });
        Assert.AreEqual(
            "00000000\n" +
            "00900000\n" +
            "09555000\n" +
            "00505000\n" +
            "00555000\n" +
            "00000000\n00000000\n00000000", Grid(scene.Pixels, 8));
        Assert.AreEqual(
            "00000000\n" +
            "00500000\n" +
            "05888000\n" +
            "00808000\n" +
            "00888000\n" +
            "00000000\n00000000\n00000000", Grid(scene.Mask, 8));
        CollectionAssert.AreEqual(new[] { new SceneObject(4, 1, 1, 3, 3), new SceneObject(7, 2, 2, 5, 5) }, scene.Objects.ToArray());
        // cx = (1 + 3) / 2 / 8, w = 2 / 8; ring cx = 3.5 / 8, w = 3 / 8.
        Assert.AreEqual("4 0.250000 0.250000 0.250000 0.250000\n7 0.437500 0.437500 0.375000 0.375000\n", SceneWriter.LabelLines(scene));
    }

    [TestMethod]
    public void AGarmentCoveredCompletelyHasNoBox()
    {
        // Plus at (2,2): (3,2), (2,3), (3,3), (4,3), (3,4). A ring at (2,2) covers all of it but (3,3), which its hole
        // shows; a second ring at (3,3) covers (3,3) too. The first ring keeps (2..4, 2) and (2, 3..4) and its corner
        // (4,4) under the second ring's hole.
        var composer = Composer();
        var two = composer.Compose(new[] { new GarmentPlacement(0, 4, 3, 2, 2), new GarmentPlacement(1, 7, 3, 2, 2) });
        Assert.AreEqual(9, two.Pixels[3 * 8 + 3], "the ring's hole shows the plus");
        CollectionAssert.AreEqual(new[] { new SceneObject(4, 3, 3, 4, 4), new SceneObject(7, 2, 2, 5, 5) }, two.Objects.ToArray());

        var three = composer.Compose(new[]
        {
            new GarmentPlacement(0, 4, 3, 2, 2), new GarmentPlacement(1, 7, 3, 2, 2), new GarmentPlacement(1, 7, 3, 3, 3),
        });
        Assert.IsFalse(three.Mask.Contains((byte)5), "no plus pixel is visible");
        CollectionAssert.AreEqual(new[] { new SceneObject(7, 2, 2, 5, 5), new SceneObject(7, 3, 3, 6, 6) }, three.Objects.ToArray());
        Assert.AreEqual(2, SceneWriter.LabelLines(three).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, "no label line for the plus");
    }

    [TestMethod]
    public void ScaledGarmentsAreBilinearWithHalfPixelCentres()
    {
        // 3x3 -> 6x6: destination i samples source (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, 1.75, 2.25, clamped.
        // Ring row 0 (5 5 5) stays 5; the middle row 5 0 5 gives 5, 3.75, 1.25, 1.25, 3.75, 5.
        var scene = Composer().Compose(new[] { new GarmentPlacement(1, 7, 6, 0, 0) });
        var row = Enumerable.Range(0, 6).Select(x => scene.Pixels[2 * 8 + x]).ToArray();
        // Row 2 samples source row 0.75: 0.25 · (5 5 5 ...) + 0.75 · the middle row resized as above.
        double[] row1 = { 5, 3.75, 1.25, 1.25, 3.75, 5 };
        CollectionAssert.AreEqual(row1.Select(v => (byte)Math.Round(0.25 * 5 + 0.75 * v, MidpointRounding.AwayFromZero)).ToArray(), row);
        CollectionAssert.AreEqual(new byte[] { 5, 5, 5, 5, 5, 5 }, scene.Pixels.Take(6).ToArray());
    }

    [TestMethod]
    public void EqualsTheNumpyAndPyTorchReimplementation()
    {
        // tools/make-scenes/scenes_reference.py: the same draws from its own SplitMix64, PyTorch's bilinear interpolate.
        // Pixels whose scaled value is k + 0.5 there may round either way (operation order): they may differ by 1.
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "scenes-reference.json")));
        var r = reference.RootElement;
        Assert.AreEqual("test", r.GetProperty("split").GetString());
        var composer = new SceneComposer(DatasetCatalog.Open("fashion-mnist", "test"));
        int i = 0, ties = 0;
        foreach (var canvas in r.GetProperty("canvases").EnumerateArray())
        {
            var scene = composer.Compose(composer.Draw(r.GetProperty("seed").GetInt64(), 1, i));
            var labels = canvas.GetProperty("labels").EnumerateArray().Select(l => l.GetString() + "\n");
            Assert.AreEqual(string.Concat(labels), SceneWriter.LabelLines(scene), $"canvas {i} labels");
            Assert.AreEqual(canvas.GetProperty("mask_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(scene.Mask)), $"canvas {i} mask");
            var pixels = (byte[])scene.Pixels.Clone();
            foreach (var t in canvas.GetProperty("ties").EnumerateArray())
            {
                int x = t[0].GetInt32(), y = t[1].GetInt32(), value = t[2].GetInt32();
                Assert.IsLessThanOrEqualTo(1, Math.Abs(pixels[y * 64 + x] - value), $"canvas {i} tie at ({x},{y})");
                pixels[y * 64 + x] = (byte)value;
                ties++;
            }
            Assert.AreEqual(canvas.GetProperty("pixels_sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(pixels)), $"canvas {i} pixels");
            i++;
        }
        Assert.AreEqual(16, i);
        Assert.IsLessThan(16 * 4096 / 100, ties, "ties are rare");
    }

    [TestMethod]
    public void DrawsOneToThreeGarmentsInsideTheCanvasAtScales06To14()
    {
        var composer = new SceneComposer(DatasetCatalog.Open("fashion-mnist", "test"));
        var counts = new int[4];
        for (int i = 0; i < 300; i++)
        {
            var g = composer.Draw(seed: 5, splitId: 1, index: i);
            counts[g.Length]++;
            foreach (var p in g)
            {
                Assert.IsTrue(p.Side is >= 17 and <= 39, $"side {p.Side} = round(28 · [0.6, 1.4])");
                Assert.IsTrue(p.X >= 0 && p.Y >= 0 && p.X + p.Side <= 64 && p.Y + p.Side <= 64);
            }
            CollectionAssert.AreEqual(g, composer.Draw(5, 1, i), "the same seed, split and index draw the same scene");
        }
        Assert.AreEqual(0, counts[0]);
        foreach (int n in new[] { 1, 2, 3 }) Assert.IsTrue(counts[n] > 60, $"{counts[n]} canvases with {n} garments of 300");
        Assert.AreNotEqual(composer.Draw(5, 1, 0)[0], composer.Draw(6, 1, 0)[0], "another seed, another scene");
    }

    [TestMethod]
    public void SameSeedWritesByteIdenticalFilesAndTheTestPrefixDoesNotDependOnTheCount()
    {
        var parent = TempDir.Create();
        string a = Path.Combine(parent, "a"), b = Path.Combine(parent, "b"), c = Path.Combine(parent, "c");
        SceneWriter.Split[] Splits(int train, int test) => new[]
        {
            new SceneWriter.Split("train", DatasetCatalog.Open("fashion-mnist", "train"), train),
            new SceneWriter.Split("test", DatasetCatalog.Open("fashion-mnist", "test"), test),
        };
        SceneWriter.Write(a, 3, Splits(20, 12), SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        SceneWriter.Write(b, 3, Splits(20, 12), SceneWriter.FashionMnistClasses, overwrite: false, threads: 1);
        SceneWriter.Write(c, 4, Splits(0, 20), SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        var files = Directory.GetFiles(a, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToArray();
        Assert.HasCount(3 * 32 + 2, files);
        foreach (var f in files)
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)), f);
        Assert.IsFalse(Directory.Exists(a + ".tmp"));
        Assert.AreEqual("T-shirt/top", File.ReadLines(Path.Combine(a, "classes.txt")).First());

        // Seed 4 with 20 test canvases: other files than seed 3; with 12 again, the first 12 are the same as with 20.
        Assert.AreNotEqual(File.ReadAllText(Path.Combine(a, "labels", "test", "000000.txt")) + File.ReadAllText(Path.Combine(a, "labels", "test", "000001.txt")),
            File.ReadAllText(Path.Combine(c, "labels", "test", "000000.txt")) + File.ReadAllText(Path.Combine(c, "labels", "test", "000001.txt")));
        SceneWriter.Write(c, 3, Splits(0, 20), SceneWriter.FashionMnistClasses, overwrite: true, threads: 2);
        for (int i = 0; i < 12; i++)
            foreach (var kind in new[] { "images/test/{0}.png", "masks/test/{0}.png", "labels/test/{0}.txt" })
            {
                var f = string.Format(kind, i.ToString("D6"));
                CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(c, f)), f);
            }

        var e = Assert.ThrowsExactly<DistillException>(() => SceneWriter.Write(a, 3, Splits(1, 1), SceneWriter.FashionMnistClasses, false, 1));
        StringAssert.Contains(e.Message, "already exists; pass --overwrite");

        // A failure midway leaves neither the folder nor its .tmp; with --overwrite the old folder stays as it was.
        string d = Path.Combine(parent, "d");
        var bad = new[] { new SceneWriter.Split("test", new Unreadable(), 5) };
        Assert.AreEqual("garment file truncated", Assert.ThrowsExactly<DistillException>(() => SceneWriter.Write(d, 3, bad, SceneWriter.FashionMnistClasses, false, 2)).Message);
        Assert.IsFalse(Directory.Exists(d) || Directory.Exists(d + ".tmp"));
        Assert.ThrowsExactly<DistillException>(() => SceneWriter.Write(a, 3, bad, SceneWriter.FashionMnistClasses, true, 2));
        Assert.IsFalse(Directory.Exists(a + ".tmp"));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(b, "images", "test", "000011.png")), File.ReadAllBytes(Path.Combine(a, "images", "test", "000011.png")));
    }
}
