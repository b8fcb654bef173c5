namespace Distill.Data.Tests;

/// <summary>CIFAR-10/100 binary files written here with known pixels and labels, in both folder layouts.</summary>
[TestClass]
public sealed class CifarDatasetTests
{
    private const int Pixels = 3072;

    // The value of channel c, row y, column x of the r-th record of a file: distinct across records and planes.
    private static byte Pixel(int seed, int r, int c, int y, int x) => (byte)(seed * 11 + r * 7 + c * 31 + y * 5 + x * 3);

    /// <summary>Writes one .bin file of <paramref name="labels"/>.Length records (label bytes, then R, G, B planes).</summary>
    private static void WriteBin(string path, int seed, byte[][] labels)
    {
        using var f = File.Create(path);
        for (int r = 0; r < labels.Length; r++)
        {
            f.Write(labels[r]);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        f.WriteByte(Pixel(seed, r, c, y, x));
        }
    }

    // Train batches of 3, 1, 2, 1, 2 records (labels 0..8 in order), test batch of 4 (labels 9, 0, 5, 3).
    private static string WriteCifar10(bool nested)
    {
        var root = TempDir.Create();
        var dir = nested ? Directory.CreateDirectory(Path.Combine(root, "cifar-10-batches-bin")).FullName : root;
        int[] sizes = { 3, 1, 2, 1, 2 };
        for (int b = 0, label = 0; b < 5; b++)
            WriteBin(Path.Combine(dir, $"data_batch_{b + 1}.bin"), b, Enumerable.Range(0, sizes[b]).Select(_ => new[] { (byte)label++ }).ToArray());
        WriteBin(Path.Combine(dir, "test_batch.bin"), 9, new byte[] { 9, 0, 5, 3 }.Select(l => new[] { l }).ToArray());
        File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), "airplane\n");
        return root;
    }

    [TestMethod]
    [DataRow(false)] [DataRow(true)]
    public void Cifar10TrainConcatenatesTheFiveBatchesInOrder(bool nested)
    {
        var ds = DatasetCatalog.Open("cifar10:" + WriteCifar10(nested), "train");
        Assert.AreEqual(9, ds.Count);
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, ds.SampleShape);
        Assert.AreEqual(10, ds.ClassCount);
        Assert.IsTrue(ds.HasLabels);
        CollectionAssert.AreEqual(Enumerable.Range(0, 9).ToArray(), Enumerable.Range(0, 9).Select(ds.GetLabel).ToArray());

        // Samples 2..5 span batches 1, 2 and 3: sample 2 is record 2 of batch 1, 3 is record 0 of batch 2, ...
        var buf = new float[4 * Pixels];
        ds.ReadSamples(2, 4, buf);
        (int seed, int record)[] origin = { (0, 2), (1, 0), (2, 0), (2, 1) };
        for (int s = 0; s < 4; s++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        Assert.AreEqual(Pixel(origin[s].seed, origin[s].record, c, y, x), buf[s * Pixels + c * 1024 + y * 32 + x], $"sample {s + 2} c{c} y{y} x{x}");
        // A few positions spelled out: R at (0,0), G at (0,1), B at (31,31) of sample 3 (batch 2, record 0).
        Assert.AreEqual((float)(11 + 0), buf[Pixels]);
        Assert.AreEqual((float)(11 + 31 + 3), buf[Pixels + 1024 + 1]);
        Assert.AreEqual((float)((11 + 62 + 31 * 5 + 31 * 3) % 256), buf[Pixels + 2048 + 31 * 32 + 31]);
    }

    [TestMethod]
    public void Cifar10TestSplitAndFingerprint()
    {
        var direct = DatasetCatalog.Open("cifar10:" + WriteCifar10(nested: false), "test");
        Assert.AreEqual(4, direct.Count);
        CollectionAssert.AreEqual(new[] { 9, 0, 5, 3 }, Enumerable.Range(0, 4).Select(direct.GetLabel).ToArray());
        var one = new float[Pixels];
        direct.ReadSamples(3, 1, one);
        Assert.AreEqual(Pixel(9, 3, 1, 7, 20), one[1024 + 7 * 32 + 20]);

        // The same bytes in the tarball's layout: same fingerprint; one pixel byte changed: another.
        var root = WriteCifar10(nested: true);
        var nested = DatasetCatalog.Open("cifar10:" + root, "test");
        Assert.AreEqual(direct.Fingerprint, nested.Fingerprint);
        Assert.AreEqual(64, direct.Fingerprint.Length);
        Assert.AreNotEqual(direct.Fingerprint, DatasetCatalog.Open("cifar10:" + root, "train").Fingerprint);
        var file = Path.Combine(root, "cifar-10-batches-bin", "test_batch.bin");
        var bytes = File.ReadAllBytes(file);
        bytes[3 * 3073 + 500] ^= 1;
        File.WriteAllBytes(file, bytes);
        Assert.AreNotEqual(direct.Fingerprint, DatasetCatalog.Open("cifar10:" + root, "test").Fingerprint);
        Assert.AreEqual("cifar10:" + root, nested.Name);
        Assert.AreEqual("test", nested.Split);
    }

    [TestMethod]
    [DataRow(false)] [DataRow(true)]
    public void Cifar100UsesTheFineLabel(bool nested)
    {
        var root = TempDir.Create();
        var dir = nested ? Directory.CreateDirectory(Path.Combine(root, "cifar-100-binary")).FullName : root;
        // (coarse, fine) pairs; the fine label goes up to 99.
        WriteBin(Path.Combine(dir, "train.bin"), 3, new[] { new byte[] { 19, 99 }, new byte[] { 0, 7 }, new byte[] { 4, 42 } });
        WriteBin(Path.Combine(dir, "test.bin"), 4, new[] { new byte[] { 1, 2 } });
        var ds = DatasetCatalog.Open("cifar100:" + root, "train");
        Assert.AreEqual(3, ds.Count);
        Assert.AreEqual(100, ds.ClassCount);
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, ds.SampleShape);
        CollectionAssert.AreEqual(new[] { 99, 7, 42 }, Enumerable.Range(0, 3).Select(ds.GetLabel).ToArray());
        var buf = new float[3 * Pixels];
        ds.ReadSamples(0, 3, buf);
        for (int s = 0; s < 3; s++)
            foreach (var (c, y, x) in new[] { (0, 0, 0), (1, 16, 5), (2, 31, 31), (0, 31, 0) })
                Assert.AreEqual(Pixel(3, s, c, y, x), buf[s * Pixels + c * 1024 + y * 32 + x], $"sample {s} c{c} y{y} x{x}");
        var test = DatasetCatalog.Open("cifar100:" + root, "test");
        Assert.AreEqual(1, test.Count);
        Assert.AreEqual(2, test.GetLabel(0));
    }

    [TestMethod]
    public void TruncatedMissingAndMislabelledFilesAreOneLineErrors()
    {
        static string Error(string spec, string split = "train")
        {
            var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open(spec, split));
            Assert.IsFalse(e.Message.Contains('\n'), e.Message);
            return e.Message;
        }

        // Truncated: one byte short of whole records.
        var root = WriteCifar10(nested: false);
        var batch2 = Path.Combine(root, "data_batch_2.bin");
        File.WriteAllBytes(batch2, File.ReadAllBytes(batch2)[..^1]);
        var truncated = Error("cifar10:" + root);
        StringAssert.Contains(truncated, "data_batch_2.bin");
        StringAssert.Contains(truncated, "3073-byte");
        Assert.AreEqual(4, DatasetCatalog.Open("cifar10:" + root, "test").Count, "the test split does not read the train files");

        // A batch missing, or the whole release.
        File.Delete(Path.Combine(root, "data_batch_4.bin"));
        StringAssert.Contains(Error("cifar10:" + root), "data_batch_4.bin");
        var empty = TempDir.Create();
        StringAssert.Contains(Error("cifar10:" + empty), "no CIFAR-10 data_batch_1.bin in " + empty);
        StringAssert.Contains(Error("cifar100:" + empty, "test"), "no CIFAR-100 test.bin");
        StringAssert.Contains(Error("cifar10:" + Path.Combine(empty, "nope")), "dataset directory not found");
        StringAssert.Contains(Error("cifar10:" + WriteCifar10(false), "validation"), "unknown split");

        // Labels outside 0..9 / 0..99, named with their file and record.
        var bad = WriteCifar10(nested: false);
        WriteBin(Path.Combine(bad, "data_batch_5.bin"), 0, new[] { new byte[] { 1 }, new byte[] { 10 } });
        var label = Error("cifar10:" + bad);
        StringAssert.Contains(label, "data_batch_5.bin record 1");
        StringAssert.Contains(label, "label 10 is out of range 0..9");
        WriteBin(Path.Combine(empty, "test.bin"), 0, new[] { new byte[] { 0, 100 } });
        StringAssert.Contains(Error("cifar100:" + empty, "test"), "label 100 is out of range 0..99");
        // A CIFAR-10 file read as CIFAR-100 has the wrong record size.
        File.Copy(Path.Combine(bad, "test_batch.bin"), Path.Combine(empty, "test.bin"), overwrite: true);
        StringAssert.Contains(Error("cifar100:" + empty, "test"), "3074-byte CIFAR-100 records");
    }
}
