using System.Text.Json;

namespace Distill.Data.Tests;

/// <summary>
/// folder: datasets give the pixels torchvision + PIL give: the cases of data/pil-reference/cases.json, written by
/// data/make_pil_reference.py with torchvision 0.14's Resize / CenterCrop / Grayscale on PIL 9.4 images. PNG decoding
/// is exact, so every PNG case (resize up and down, one pass or both, stretch, centre crop with half-pixel offsets and
/// with padding, alpha, luma) must match byte for byte. JPEG goes through another libjpeg-turbo build (SkiaSharp's),
/// which decodes these files (4:2:0, 4:2:2, 4:4:4, progressive, grayscale) to PIL's bytes exactly: max |delta| 0.
/// </summary>
[TestClass]
public sealed class PilReferenceTests
{
    private sealed record Case(string File, string Options, int Width, int Height, int Channels, byte[] Pixels);

    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "data", "pil-reference");

    private static List<Case> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("file").GetString()!, c.GetProperty("options").GetString()!, c.GetProperty("width").GetInt32(),
            c.GetProperty("height").GetInt32(), c.GetProperty("channels").GetInt32(), c.GetProperty("pixels").GetBytesFromBase64())).ToList();
    }

    // The case's file alone in a one-class tree, read through the catalog with the case's options.
    private static float[] Read(Case c)
    {
        var root = TempDir.Create();
        Directory.CreateDirectory(Path.Combine(root, "c"));
        File.Copy(Path.Combine(Dir, c.File), Path.Combine(root, "c", c.File));
        var ds = DatasetCatalog.Open($"folder:{root}{(c.Options == "" ? "" : "," + c.Options)}", "train");
        CollectionAssert.AreEqual(new[] { c.Channels, c.Height, c.Width }, ds.SampleShape, $"{c.File} {c.Options}");
        var values = new float[ds.SampleSize()];
        ds.ReadSamples(0, 1, values);
        return values;
    }

    private static int MaxDelta(Case c, float[] values) =>
        values.Select((v, i) => (int)Math.Abs(v - c.Pixels[i])).Max();

    [TestMethod]
    public void PngCasesEqualPilByteForByte()
    {
        var png = Cases().Where(c => c.File.EndsWith(".png")).ToList();
        Assert.IsGreaterThanOrEqualTo(11, png.Count);
        foreach (var c in png)
        {
            var values = Read(c);
            int diff = values.Select((v, i) => v == c.Pixels[i] ? 0 : 1).Sum();
            Assert.AreEqual(0, diff, $"{c.File} {c.Options}: {diff} of {values.Length} values differ from PIL's (max |delta| {MaxDelta(c, values)})");
        }
    }

    [TestMethod]
    public void JpegCasesEqualPilByteForByte()
    {
        var jpeg = Cases().Where(c => c.File.EndsWith(".jpg")).ToList();
        Assert.IsGreaterThanOrEqualTo(7, jpeg.Count);
        foreach (var c in jpeg)
            Assert.AreEqual(0, MaxDelta(c, Read(c)), $"{c.File} {c.Options}: max |delta| from PIL's pixels, in levels");
    }
}
