namespace Distill.Data.Tests;

/// <summary>
/// NpyDataset on .npy files that numpy wrote (fixtures/npy, made by make_npy.py): float32, float64 and uint8 samples
/// in C order, version 1 and 2 headers, int64/int32/uint8 labels; the layouts and types it refuses (Fortran order,
/// big-endian, float16, int16 labels) are refused with one line. Expected values are the script's formulas.
/// </summary>
[TestClass]
public sealed class NpyFilesFromNumpyTests
{
    private static string F(string name) => Path.Combine(RepoRoot.Dir, "tests", "Distill.Data.Tests", "fixtures", "npy", name);

    private static float[] All(IDataset d)
    {
        var x = new float[d.Count * d.SampleSize()];
        d.ReadSamples(0, d.Count, x);
        return x;
    }

    [TestMethod]
    [DataRow("f32.npy")]
    [DataRow("f32-v2.npy")]
    public void Float32SamplesAndInt64Labels(string file)
    {
        using var d = (NpyDataset)DatasetCatalog.Open($"npy:{F(file)},{F("labels-i8.npy")}", "train");
        Assert.AreEqual(5, d.Count);
        CollectionAssert.AreEqual(new[] { 2, 3 }, d.SampleShape);
        CollectionAssert.AreEqual(Enumerable.Range(0, 30).Select(i => (i - 7) * 0.375f).ToArray(), All(d));
        CollectionAssert.AreEqual(new[] { 0, 2, 1, 2, 0 }, Enumerable.Range(0, 5).Select(d.GetLabel).ToArray());
        Assert.AreEqual(3, d.ClassCount);
        // A slice in the middle reads the same values as the whole.
        var two = new float[12];
        d.ReadSamples(2, 2, two);
        CollectionAssert.AreEqual(Enumerable.Range(12, 12).Select(i => (i - 7) * 0.375f).ToArray(), two);
    }

    [TestMethod]
    public void Float64SamplesAreRoundedToFloat32AndInt32Labels()
    {
        using var d = (NpyDataset)DatasetCatalog.Open($"npy:{F("f64.npy")},{F("labels-i4.npy")}", "train");
        Assert.AreEqual(4, d.Count);
        CollectionAssert.AreEqual(new[] { 3 }, d.SampleShape);
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => (float)(i / 3.0 - 1)).ToArray(), All(d));
        CollectionAssert.AreEqual(new[] { 1, 0, 3, 3 }, Enumerable.Range(0, 4).Select(d.GetLabel).ToArray());
        Assert.AreEqual(4, d.ClassCount);
    }

    [TestMethod]
    public void Uint8ImagesAndUint8Labels()
    {
        using var d = (NpyDataset)DatasetCatalog.Open($"npy:{F("u8.npy")},{F("labels-u1.npy")}", "train");
        Assert.AreEqual(6, d.Count);
        CollectionAssert.AreEqual(new[] { 1, 2, 2 }, d.SampleShape);
        CollectionAssert.AreEqual(Enumerable.Range(0, 24).Select(i => (float)((i * 37 + 11) % 256)).ToArray(), All(d));
        CollectionAssert.AreEqual(new[] { 4, 4, 0, 1, 2, 3 }, Enumerable.Range(0, 6).Select(d.GetLabel).ToArray());
    }

    [TestMethod]
    public void OneDimensionalArrayIsOneValuePerSampleWithoutLabels()
    {
        using var d = (NpyDataset)DatasetCatalog.Open($"npy:{F("f32-1d.npy")}", "train");
        Assert.AreEqual(7, d.Count);
        CollectionAssert.AreEqual(new[] { 1 }, d.SampleShape);
        CollectionAssert.AreEqual(Enumerable.Range(0, 7).Select(i => i * 0.5f).ToArray(), All(d));
        Assert.IsFalse(d.HasLabels);
    }

    [TestMethod]
    [DataRow("fortran.npy", "{0}: Fortran-order arrays are not supported")]
    [DataRow("big-endian.npy", "{0}: big-endian arrays are not supported")]
    [DataRow("f16.npy", "{0}: unsupported dtype '<f2' (expected <f4, <f8 or |u1)")]
    public void LayoutsAndTypesItCannotReadAreRefused(string file, string message)
    {
        var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"npy:{F(file)}", "train"));
        Assert.AreEqual(string.Format(message, F(file)), e.Message);
    }

    [TestMethod]
    public void Int16LabelsAreRefused()
    {
        var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"npy:{F("f32.npy")},{F("labels-i2.npy")}", "train"));
        Assert.AreEqual($"{F("labels-i2.npy")}: unsupported label dtype '<i2' (expected <i8, <i4 or |u1)", e.Message);
    }
}
