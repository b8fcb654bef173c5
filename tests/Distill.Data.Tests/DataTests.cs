using System.IO.Compression;
using System.Security.Cryptography;

namespace Distill.Data.Tests;

/// <summary>IDX reading against bytes written here, preprocessing against the double-precision formula, catalog errors.</summary>
[TestClass]
public sealed class DataTests
{
    private static string WriteIdx(byte[] pixels, byte[] labels, int count, int rows, int cols, bool gzip)
    {
        var dir = TempDir.Create();
        byte[] Header(int magic, params int[] dims)
        {
            var h = new List<byte>();
            foreach (var v in new[] { magic }.Concat(dims)) h.AddRange(BitConverter.GetBytes(v).Reverse());
            return h.ToArray();
        }
        void Write(string name, byte[] bytes)
        {
            var path = Path.Combine(dir, name + (gzip ? ".gz" : ""));
            using var f = File.Create(path);
            using Stream s = gzip ? new GZipStream(f, CompressionLevel.Fastest) : f;
            s.Write(bytes);
        }
        Write("t10k-images-idx3-ubyte", Header(0x803, count, rows, cols).Concat(pixels).ToArray());
        Write("t10k-labels-idx1-ubyte", Header(0x801, count).Concat(labels).ToArray());
        return dir;
    }

    [TestMethod]
    [DataRow(true)] [DataRow(false)]
    public void IdxSamplesLabelsAndFingerprint(bool gzip)
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 3).Select(i => (byte)(i * 13)).ToArray();
        var labels = new byte[] { 2, 0, 1 };
        var ds = DatasetCatalog.Open("idx:" + WriteIdx(pixels, labels, 3, 2, 3, gzip), "test");
        Assert.AreEqual(3, ds.Count);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, ds.SampleShape);
        Assert.AreEqual(3, ds.ClassCount);
        var buf = new float[2 * 6];
        ds.ReadSamples(1, 2, buf);
        CollectionAssert.AreEqual(pixels.Skip(6).Select(p => (float)p).ToArray(), buf);
        Assert.AreEqual(1, ds.GetLabel(2));
        // Same bytes, gzip or not: same fingerprint; other pixels: another one.
        var plain = DatasetCatalog.Open("idx:" + WriteIdx(pixels, labels, 3, 2, 3, !gzip), "test");
        Assert.AreEqual(ds.Fingerprint, plain.Fingerprint);
        pixels[0] ^= 1;
        Assert.AreNotEqual(ds.Fingerprint, DatasetCatalog.Open("idx:" + WriteIdx(pixels, labels, 3, 2, 3, gzip), "test").Fingerprint);
    }

    [TestMethod]
    public void VectorizedByteToFloatMatchesTheScalarCopyAtEveryLength()
    {
        var rng = new Random(1);
        foreach (int n in Enumerable.Range(0, 130).Append(3072 * 3 + 5))
        {
            var bytes = new byte[n];
            rng.NextBytes(bytes);
            var floats = new float[n + 1];
            floats[n] = -1;
            Pixels.ToFloats(bytes, floats);
            CollectionAssert.AreEqual(bytes.Select(b => (float)b).Append(-1f).ToArray(), floats, $"length {n}");
        }
        Assert.ThrowsExactly<ArgumentException>(() => Pixels.ToFloats(new byte[4], new float[3]));
    }

    [TestMethod]
    public void PreprocessingMatchesTheDoubleFormulaPerChannel()
    {
        var pre = new Preprocessing(1 / 255.0, new[] { 0.485, 0.456, 0.406 }, new[] { 0.229, 0.224, 0.225 });
        var raw = Enumerable.Range(0, 3 * 37).Select(i => (float)(i * 7 % 256)).ToArray();
        var values = (float[])raw.Clone();
        pre.Apply(values, channels: 3);
        for (int i = 0; i < raw.Length; i++)
        {
            int c = i / 37;
            double expected = (raw[i] / 255.0 - pre.Mean[c]) / pre.Std[c];
            Assert.AreEqual(expected, values[i], 2e-6 * Math.Max(1, Math.Abs(expected)), $"value {i}");
        }
        Assert.ThrowsExactly<DistillException>(() => pre.Apply(new float[8], channels: 2));
        CollectionAssert.AreEqual(new[] { 0.5, 0.25 }, Preprocessing.ParseList("0.5, 0.25", "mean"));
        StringAssert.Contains(Assert.ThrowsExactly<DistillException>(() => Preprocessing.ParseList("a,b", "std")).Message, "--std");
    }

    [TestMethod]
    public void CatalogErrorsAreOneLine()
    {
        StringAssert.StartsWith(Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open("nope", "train")).Message, "unknown dataset 'nope'");
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N"));
        Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open("idx:" + missing, "train"));
    }

    [TestMethod]
    public void TeacherCardSuppliesPreprocessingAndFlagsOverrideIt()
    {
        var dir = TempDir.Create();
        File.WriteAllText(Path.Combine(dir, "t.json"),
            """{"input": {"name": "x", "mean": 0.2860406, "std": 0.3530242}, "output": {"name": "logits"}, "classes": ["a", "b"], "accuracy": {"test": 0.9}}""");
        var card = TeacherCard.TryLoadFor(Path.Combine(dir, "t.onnx"))!;
        Assert.AreEqual("x", card.InputName);
        Assert.AreEqual("logits", card.OutputName);
        var pre = PreprocessingFlags.None.Require(card, "teacher.onnx").Value;
        CollectionAssert.AreEqual(new[] { 0.2860406 }, pre.Mean);
        Assert.AreEqual(1 / 255.0, pre.Scale);
        CollectionAssert.AreEqual(new[] { 0.5 }, new PreprocessingFlags(null, new[] { 0.5 }, null).Require(card, "t.onnx").Value.Mean);
        Assert.IsNull(TeacherCard.TryLoadFor(Path.Combine(dir, "none.onnx")));
        File.WriteAllText(Path.Combine(dir, "bad.json"), "{ not json");
        Assert.ThrowsExactly<DistillException>(() => TeacherCard.Load(Path.Combine(dir, "bad.json")));
    }
}
