namespace Distill.Data.Tests;

/// <summary>CIFAR-10/100 binary files written here with known pixels and labels, in both folder layouts.</summary>
[TestClass]
public sealed class CifarDatasetTests
{
    private static byte Pixel(int sample, int channel, int y, int x) => (byte)((sample * 7 + channel * 50 + y * 3 + x) % 256);

    // Records: label byte(s) then R, G, B planes of 32×32.
    private static void WriteBatch(string path, int first, int count, int labelBytes, Func<int, int> label)
    {
        using var f = File.Create(path);
        for (int i = first; i < first + count; i++)
        {
            if (labelBytes == 2) f.WriteByte((byte)(label(i) / 5));   // coarse label, ignored
            f.WriteByte((byte)label(i));
            for (int c = 0; c < 3; c++) for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) f.WriteByte(Pixel(i, c, y, x));
        }
    }

    private static void AssertSample(IDataset d, int i, Func<int, int> label)
    {
        var buf = new float[3 * 32 * 32];
        d.ReadSamples(i, 1, buf);
        foreach (var (c, y, x) in new[] { (0, 0, 0), (1, 5, 7), (2, 31, 31), (0, 16, 2) })
            Assert.AreEqual(Pixel(i, c, y, x), buf[c * 1024 + y * 32 + x], $"sample {i} pixel {c},{y},{x}");
        Assert.AreEqual(label(i), d.GetLabel(i));
    }

    [TestMethod]
    public void Cifar10TrainBatchesAndTestBatchInTheReleaseFolder()
    {
        var root = TestDirs.Create();
        var dir = Path.Combine(root, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        int Label(int i) => i % 10;
        for (int b = 1; b <= 5; b++) WriteBatch(Path.Combine(dir, $"data_batch_{b}.bin"), (b - 1) * 4, 4, 1, Label);
        WriteBatch(Path.Combine(dir, "test_batch.bin"), 100, 3, 1, Label);

        var train = DatasetCatalog.Open($"cifar10:{root}", "train");   // the parent folder works too
        Assert.AreEqual(20, train.Count);
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, train.SampleShape);
        Assert.AreEqual(10, train.ClassCount);
        foreach (var i in new[] { 0, 7, 19 }) AssertSample(train, i, Label);
        var test = DatasetCatalog.Open($"cifar10:{dir}", "test");
        Assert.AreEqual(3, test.Count);
        Assert.AreEqual(Label(102), test.GetLabel(2));
        Assert.AreEqual(Pixel(102, 1, 5, 7), ReadOne(test, 2)[1024 + 5 * 32 + 7]);

        // One changed byte changes the fingerprint.
        string before = train.Fingerprint;
        var bytes = File.ReadAllBytes(Path.Combine(dir, "data_batch_3.bin"));
        bytes[100] ^= 1;
        File.WriteAllBytes(Path.Combine(dir, "data_batch_3.bin"), bytes);
        Assert.AreNotEqual(before, DatasetCatalog.Open($"cifar10:{dir}", "train").Fingerprint);
    }

    private static float[] ReadOne(IDataset d, int i) { var b = new float[3072]; d.ReadSamples(i, 1, b); return b; }

    [TestMethod]
    public void Cifar100UsesTheFineLabel()
    {
        var dir = TestDirs.Create();
        int Label(int i) => (i * 13) % 100;
        WriteBatch(Path.Combine(dir, "train.bin"), 0, 9, 2, Label);
        WriteBatch(Path.Combine(dir, "test.bin"), 50, 2, 2, Label);
        var train = DatasetCatalog.Open($"cifar100:{dir}", "train");
        Assert.AreEqual(9, train.Count);
        Assert.AreEqual(100, train.ClassCount);
        foreach (var i in new[] { 0, 4, 8 }) AssertSample(train, i, Label);
        Assert.AreEqual(Label(51), DatasetCatalog.Open($"cifar100:{dir}", "test").GetLabel(1));
    }

    [TestMethod]
    public void TruncatedAndMissingFilesAreOneLineErrors()
    {
        var dir = TestDirs.Create();
        WriteBatch(Path.Combine(dir, "train.bin"), 0, 2, 2, i => i);
        var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"cifar100:{dir}", "test"));
        Assert.AreEqual($"no test.bin in {dir} (expected the CIFAR-100 binary release)", e.Message);
        using (var f = File.OpenWrite(Path.Combine(dir, "train.bin"))) f.SetLength(3074 * 2 - 5);
        e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"cifar100:{dir}", "train"));
        Assert.AreEqual($"{Path.Combine(dir, "train.bin")} holds 6143 bytes, not a whole number of 3074-byte CIFAR-100 records", e.Message);
        WriteBatch(Path.Combine(dir, "test_batch.bin"), 0, 1, 1, _ => 12);
        e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"cifar10:{dir}", "test"));
        Assert.AreEqual($"{Path.Combine(dir, "test_batch.bin")}: record 0 has label 12, outside [0, 10)", e.Message);
    }
}
