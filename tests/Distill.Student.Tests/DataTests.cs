using Distill.Cache;
using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

[TestClass]
public sealed class DataTests
{
    [TestMethod]
    public void NpyDatasetReadsWhatWasWritten()
    {
        using var dir = new TempDir();
        var x = Path.Combine(dir.Path, "x.npy");
        var y = Path.Combine(dir.Path, "y.npy");
        NpyDataset.WriteFloat32(x, new long[] { 5, 3 }, i => i * 0.5f);
        NpyDataset.WriteInt64(y, new long[] { 0, 1, 2, 1, 0 });
        using var d = (NpyDataset)DatasetCatalog.Open($"npy:{x},{y}", "train");
        Assert.AreEqual(5, d.Count);
        CollectionAssert.AreEqual(new[] { 3 }, d.SampleShape);
        Assert.AreEqual(3, d.ClassCount);
        var buf = new float[6];
        d.ReadSamples(1, 2, buf);
        CollectionAssert.AreEqual(new[] { 1.5f, 2f, 2.5f, 3f, 3.5f, 4f }, buf);
        Assert.AreEqual(1, d.GetLabel(3));
        Assert.AreEqual(64, d.Fingerprint.Length);
        var e = Assert.ThrowsExactly<DistillException>(() => DatasetCatalog.Open($"npy:{x}", "test"));
        StringAssert.Contains(e.Message, "one split");
    }

    private static List<HostBatch> Epoch(CachedBatchSource s, int epoch) => s.Epoch(epoch).ToList();

    [TestMethod]
    [DataRow(64L << 20, true)]
    [DataRow(1L, false)]   // nothing fits: streamed through the shuffle buffer
    public void EveryRowOncePerEpochShuffledAndDeterministic(long budget, bool full)
    {
        var d = new MemoryDataset(203, 4, 3, seed: 1);
        var src = new CachedBatchSource(d.Teacher(groupRows: 10), d, new Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), 16, seed: 9, budget);
        src.PrepareAsync().GetAwaiter().GetResult();
        Assert.AreEqual(full, src.FullyShuffled);
        var e1 = Epoch(src, 1);
        Assert.AreEqual(13, e1.Count);
        Assert.AreEqual(203, e1.Sum(b => b.Rows));
        // Rows are joined by index: the teacher's arg-max is the label, the inputs are the dataset's sample.
        var seenInputs = new HashSet<string>();
        foreach (var b in e1)
            for (int r = 0; r < b.Rows; r++)
            {
                var t = b.TeacherLogits.AsSpan(r * 3, 3);
                int arg = t.IndexOf(MaxOf(t));
                Assert.AreEqual(b.Labels[r], (long)arg);
                seenInputs.Add(string.Join(",", b.Inputs.AsSpan(r * 4, 4).ToArray()));
            }
        Assert.AreEqual(203, seenInputs.Count);
        var again = Epoch(src, 1);
        CollectionAssert.AreEqual(e1.SelectMany(b => b.Labels).ToArray(), again.SelectMany(b => b.Labels).ToArray());
        CollectionAssert.AreEqual(e1.SelectMany(b => b.Inputs).ToArray(), again.SelectMany(b => b.Inputs).ToArray());
        var e2 = Epoch(src, 2);
        CollectionAssert.AreNotEqual(e1.SelectMany(b => b.Inputs).ToArray(), e2.SelectMany(b => b.Inputs).ToArray());
    }

    private static float MaxOf(ReadOnlySpan<float> s) { float m = s[0]; foreach (var v in s) m = Math.Max(m, v); return m; }

    private static async Task WriteCache(string dir, IDataset d, int classes)
    {
        var meta = new CacheMetadata
        {
            TeacherFile = "t.onnx", TeacherSha256 = "00", Outputs = new[] { new CacheOutput("logits", "logits", new[] { classes }) },
            ClassCount = classes, DatasetName = d.Name, Split = d.Split, DatasetCount = d.Count, Fingerprint = d.Fingerprint,
            SampleShape = d.SampleShape, Preprocessing = new Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), InputName = "input", HasLabels = true,
        };
        await using var w = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: true, rowGroupSize: 8);
        var idx = Enumerable.Range(0, d.Count).Select(i => (long)i).ToArray();
        var labels = Enumerable.Range(0, d.Count).Select(d.GetLabel).ToArray();
        var logits = new float[d.Count * classes];
        for (int i = 0; i < d.Count; i++) logits[i * classes + labels[i]] = 5;
        await w.WriteAsync(idx, labels, logits);
        await w.CompleteAsync();
    }

    [TestMethod]
    public async Task MismatchedCacheIsRefusedWithOneLine()
    {
        using var dir = new TempDir();
        var a = Path.Combine(dir.Path, "a.npy"); var b = Path.Combine(dir.Path, "b.npy"); var y = Path.Combine(dir.Path, "y.npy");
        NpyDataset.WriteFloat32(a, new long[] { 20, 3 }, i => i);
        NpyDataset.WriteFloat32(b, new long[] { 20, 3 }, i => -i);
        NpyDataset.WriteInt64(y, Enumerable.Range(0, 20).Select(i => (long)(i % 2)).ToArray());
        var cache = Path.Combine(dir.Path, "cache");
        using (var da = NpyDataset.Open($"npy:{a},{y}", $"{a},{y}", "train")) await WriteCache(cache, da, 2);
        using (var ok = TrainingData.Open(cache, null))
        {
            Assert.AreEqual(2, ok.ClassCount);
            Assert.IsNull(ok.Test);   // npy has no test split: training runs without evaluation
        }
        var e = Assert.ThrowsExactly<DistillException>(() => TrainingData.Open(cache, $"npy:{b},{y}"));
        StringAssert.Contains(e.Message, "other data");
        Assert.IsFalse(e.Message.Contains('\n'));
    }
}
