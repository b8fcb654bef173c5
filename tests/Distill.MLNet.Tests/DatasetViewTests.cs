using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Distill.Data;
using Distill.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Tests;

/// <summary>LoadFromDataset gives the IDX bytes; any IDataView of the same values gets the same fingerprint.</summary>
[TestClass]
public sealed class DatasetViewTests
{
    private static readonly MLContext Ml = new(seed: 0);

    [TestMethod]
    public void FeaturesAndLabelsAreTheIdxFilesBytes()
    {
        var (pixels, labels) = Fixtures.ReadIdx("test");
        var view = Ml.Data.LoadFromDataset("fashion-mnist", "test");
        Assert.AreEqual(10_000L, view.GetRowCount());
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, ((VectorDataViewType)view.Schema["Features"].Type).Dimensions.ToArray());
        Assert.AreEqual(10UL, ((KeyDataViewType)view.Schema["Label"].Type).Count);
        var features = view.GetColumn<float[]>("Features").Take(600).ToArray();
        var keys = view.GetColumn<uint>("Label").ToArray();
        for (int i = 0; i < 600; i++)
            for (int p = 0; p < 784; p++)
                Assert.AreEqual(pixels[i * 784 + p], features[i][p], $"image {i} pixel {p}");
        Assert.HasCount(10_000, keys);
        for (int i = 0; i < keys.Length; i++) Assert.AreEqual(labels[i] + 1u, keys[i], $"label key of image {i}");
    }

    [TestMethod]
    public void AViewOfTheSameBytesHasTheIdxFilesFingerprint()
    {
        var (pixels, labels) = Fixtures.ReadIdx("test");
        var expected = Convert.ToHexStringLower(SHA256.HashData(pixels.Concat(labels).ToArray()));   // pixels, then labels, as bytes
        Assert.AreEqual(expected, DatasetCatalog.Open("fashion-mnist", "test").Fingerprint, "the IDX reader's own fingerprint");

        var rows = Enumerable.Range(0, 10_000).Select(i => new Image { Features = pixels[(i * 784)..((i + 1) * 784)].Select(p => (float)p).ToArray(), Label = labels[i] });
        using var scanned = DataViewDataset.Scan(Ml.Data.LoadFromEnumerable(rows), "Features", "Label", "test");
        Assert.AreEqual(expected, scanned.Fingerprint);
        Assert.AreEqual(10_000, scanned.Count);
        Assert.AreEqual(10, scanned.ClassCount);
        CollectionAssert.AreEqual(new[] { 1, 28, 28 }, scanned.SampleShape);
        var sample = new float[784 * 2];
        scanned.ReadSamples(4321, 2, sample);
        for (int p = 0; p < sample.Length; p++) Assert.AreEqual(pixels[4321 * 784 + p], sample[p]);
        Assert.AreEqual(labels[9999], scanned.GetLabel(9999));
    }

    [TestMethod]
    public void OtherValuesHashAsFloat32AndLabelsAsBytes()
    {
        var rows = new[]
        {
            new Flat { Features = new[] { 0.5f, 1f, -2f }, Label = 3 },
            new Flat { Features = new[] { 7f, 0f, 255f }, Label = 0 },
        };
        using var scanned = DataViewDataset.Scan(Ml.Data.LoadFromEnumerable(rows), "Features", "Label", "train", keepSamples: true);
        var bytes = rows.SelectMany(r => MemoryMarshal.AsBytes(r.Features.AsSpan()).ToArray()).Concat(new byte[] { 3, 0 }).ToArray();
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(bytes)), scanned.Fingerprint);
        CollectionAssert.AreEqual(new[] { 3 }, scanned.SampleShape);
        var back = new float[6];
        scanned.ReadSamples(0, 2, back);
        CollectionAssert.AreEqual(rows.SelectMany(r => r.Features).ToArray(), back);
    }

    [TestMethod]
    public void SamplesNotKeptAreReadAgainInOrderFromAnyRow()
    {
        var rows = Enumerable.Range(0, 10).Select(i => new Flat { Features = new[] { i + 0.25f, i * 2f, -i }, Label = i }).ToArray();
        using var streamed = DataViewDataset.Scan(Ml.Data.LoadFromEnumerable(rows), "Features", null, "train");
        Assert.IsFalse(streamed.HasLabels);
        var buffer = new float[6];
        foreach (var (start, count) in new[] { (5, 2), (1, 1), (8, 2), (0, 2) })   // forward, back, forward, back
        {
            streamed.ReadSamples(start, count, buffer);
            CollectionAssert.AreEqual(rows.Skip(start).Take(count).SelectMany(r => r.Features).ToArray(), buffer[..(3 * count)], $"samples {start}..{start + count - 1}");
        }
    }

    [TestMethod]
    public void ColumnsThatCannotBeSamplesOrLabelsAreOneLineErrors()
    {
        var data = Ml.Data.LoadFromEnumerable(new[] { new Flat { Features = new[] { 1f, 2f, 3f }, Label = 1, Name = "a" } });
        Assert.AreEqual("the data has no column 'Pixels' (columns: Features, Label, Name)",
            Assert.ThrowsExactly<DistillException>(() => DataViewDataset.Scan(data, "Pixels", null, "train")).Message);
        Assert.AreEqual("column 'Name' is String; samples must be a fixed-size vector of Single or Byte",
            Assert.ThrowsExactly<DistillException>(() => DataViewDataset.Scan(data, "Name", null, "train")).Message);
        Assert.AreEqual("label column 'Name' is String; expected a key or a number",
            Assert.ThrowsExactly<DistillException>(() => DataViewDataset.Scan(data, "Features", "Name", "train")).Message);
        var negative = Ml.Data.LoadFromEnumerable(new[] { new Flat { Features = new[] { 1f, 2f, 3f }, Label = -1, Name = "a" } });
        Assert.AreEqual("column 'Label' row 0 holds -1, not a class index (a whole number ≥ 0)",
            Assert.ThrowsExactly<DistillException>(() => DataViewDataset.Scan(negative, "Features", "Label", "train")).Message);
    }

    public sealed class Image
    {
        [VectorType(1, 28, 28)] public float[] Features { get; set; } = Array.Empty<float>();
        /// <summary>The class index: with [KeyType] ML.NET stores it as the key index + 1.</summary>
        [KeyType(10)] public uint Label { get; set; }
    }

    public sealed class Flat
    {
        [VectorType(3)] public float[] Features { get; set; } = Array.Empty<float>();
        public int Label { get; set; }
        public string Name { get; set; } = "";
    }
}
