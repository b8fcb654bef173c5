using Distill.Cache;
using Distill.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Tests;

/// <summary>LoadFromLogitCache: every column as DuckDB reads the Parquet files, names from the card, refusals on load.</summary>
[TestClass]
public sealed class LogitCacheDataViewTests
{
    private static readonly MLContext Ml = new(seed: 0);

    [TestMethod]
    public async Task IndexLabelAndLogitsAreWhatDuckDbReads()
    {
        var dir = await Fixtures.FmnistCacheAsync(limit: 300, rowGroup: 64);   // five row groups
        var view = Ml.Data.LoadFromLogitCache(dir);

        Assert.AreEqual(300L, view.GetRowCount());
        Assert.AreEqual(NumberDataViewType.Int64, view.Schema["index"].Type);
        var label = (KeyDataViewType)view.Schema["label"].Type;
        Assert.AreEqual(10UL, label.Count);
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        view.Schema["label"].GetKeyValues(ref names);
        CollectionAssert.AreEqual(Fixtures.FmnistCard.Classes, names.DenseValues().Select(n => n.ToString()).ToArray());
        var logitsType = (VectorDataViewType)view.Schema["logits"].Type;
        Assert.AreEqual(10, logitsType.Size);
        view.Schema["logits"].GetSlotNames(ref names);
        CollectionAssert.AreEqual(Fixtures.FmnistCard.Classes, names.DenseValues().Select(n => n.ToString()).ToArray());

        var expected = Fixtures.DuckDb(dir, "SELECT index, label, logits FROM CACHE ORDER BY index");
        var index = view.GetColumn<long>("index").ToArray();
        var labels = view.GetColumn<uint>("label").ToArray();
        var logits = view.GetColumn<float[]>("logits").ToArray();
        Assert.HasCount(300, index);
        for (int r = 0; r < 300; r++)
        {
            Assert.AreEqual(Convert.ToInt64(expected[r][0]), index[r], $"index of row {r}");
            Assert.AreEqual(Convert.ToUInt32(expected[r][1]) + 1, labels[r], $"label key of row {r} (1-based)");
            CollectionAssert.AreEqual(Fixtures.Floats(expected[r][2]), logits[r], $"logits of row {r}");
        }

        var preview = view.Preview(maxRows: 3);
        Assert.HasCount(3, preview.RowView);
        Assert.AreEqual(0L, preview.RowView[0].Values.Single(c => c.Key == "index").Value);
        Assert.AreEqual(Convert.ToUInt32(expected[2][1]) + 1, preview.RowView[2].Values.Single(c => c.Key == "label").Value);
    }

    [TestMethod]
    public async Task ExtraOutputsKeepTheirShapeAndViewColumnsAreThere()
    {
        var dir = Fixtures.TempDir();
        await Teacher.LogitPrecomputer.RunAsync(new Teacher.PrecomputeRequest
        {
            TeacherPath = Fixtures.DenseHeads, Dataset = DatasetCatalog.Open(Fixtures.TinyIdx, "test"),
            Preprocessing = new Preprocessing(1 / 255.0, new[] { 0.5 }, new[] { 0.25 }), OutputDirectory = dir,
            OutputNames = new[] { "logits", "seg", "boxes" }, Views = 2, Augment = Augmentation.Parse("crop:1,flip"), AugmentSeed = 3,
            Device = Teacher.ExecutionDevice.Cpu, BatchSize = 5, RowGroupSize = 5,
        });
        var view = Ml.Data.LoadFromLogitCache(dir);

        Assert.AreEqual(24L, view.GetRowCount(), "12 samples × 2 views");
        CollectionAssert.AreEqual(new[] { 3, 4, 4 }, ((VectorDataViewType)view.Schema["seg"].Type).Dimensions.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 7 }, ((VectorDataViewType)view.Schema["boxes"].Type).Dimensions.ToArray());
        Assert.IsNull(view.Schema["label"].Annotations.Schema.GetColumnOrNull("KeyValues"), "no card, no class names");
        var expected = Fixtures.DuckDb(dir, "SELECT index, view, aug_crop_x, aug_crop_y, aug_flip, logits, seg, boxes FROM CACHE ORDER BY index, view");
        var columns = new[] { "view", "aug_crop_x", "aug_crop_y", "aug_flip" }.Select(c => view.GetColumn<int>(c).ToArray()).ToArray();
        var vectors = new[] { "logits", "seg", "boxes" }.Select(c => view.GetColumn<float[]>(c).ToArray()).ToArray();
        var index = view.GetColumn<long>("index").ToArray();
        for (int r = 0; r < 24; r++)
        {
            Assert.AreEqual(Convert.ToInt64(expected[r][0]), index[r]);
            for (int c = 0; c < 4; c++) Assert.AreEqual(Convert.ToInt32(expected[r][1 + c]), columns[c][r], $"row {r} column {c}");
            for (int v = 0; v < 3; v++) CollectionAssert.AreEqual(Fixtures.Floats(expected[r][5 + v]), vectors[v][r], $"row {r} output {v}");
        }
    }

    [TestMethod]
    public async Task TopKLogitsAreTheStoredLogitsAndAnEvenTail()
    {
        var dir = await Fixtures.FmnistCacheAsync(limit: 40, encoding: CacheEncoding.TopKOf(3));
        var logits = Ml.Data.LoadFromLogitCache(dir).GetColumn<float[]>("logits").ToArray();
        var stored = Fixtures.DuckDb(dir, "SELECT topk_index, topk_logits, logsumexp, label, label_logit FROM CACHE ORDER BY index");
        for (int r = 0; r < 40; r++)
        {
            var k = ((System.Collections.IEnumerable)stored[r][0]).Cast<object>().Select(Convert.ToInt32).ToArray();
            var z = Fixtures.Floats(stored[r][1]);
            double lse = Convert.ToDouble(stored[r][2]);
            int label = Convert.ToInt32(stored[r][3]);
            float labelLogit = Convert.ToSingle(stored[r][4]);
            // The stored classes and the label keep their logits; the other classes share what they leave of the mass.
            bool labelApart = !k.Contains(label);
            double mass = z.Sum(v => Math.Exp(v - lse)) + (labelApart ? Math.Exp(labelLogit - lse) : 0);
            int others = 10 - 3 - (labelApart ? 1 : 0);
            double tail = lse + Math.Log((1 - mass) / others);
            for (int c = 0; c < 10; c++)
            {
                int j = Array.IndexOf(k, c);
                Assert.AreEqual(c == label ? labelLogit : j >= 0 ? z[j] : tail, logits[r][c], 1e-4, $"row {r} class {c}");
            }
        }
    }

    [TestMethod]
    public async Task AGapOrADuplicateIsRefusedOnLoad()
    {
        // Two shards made with different --limit: samples 0..9 (shard 1/2 of 20) and 20..39 (shard 2/2 of 40).
        var dir = Fixtures.TempDir();
        foreach (var (k, limit) in new[] { (1, 20), (2, 0) })
        {
            var meta = new CacheMetadata
            {
                TeacherFile = "t.onnx", TeacherSha256 = new string('a', 64), Outputs = new[] { new CacheOutput("logits", "logits", new[] { 2 }) },
                ClassCount = 2, DatasetName = "x", Split = "train", DatasetCount = 40, Fingerprint = new string('b', 64), SampleShape = new[] { 1 },
                Preprocessing = Preprocessing.Identity, InputName = "input", Shard = $"{k}/2", Limit = limit,
            };
            await using var w = await LogitCacheWriter.CreateAsync(dir, meta, overwrite: false, rowGroupSize: 8, part: k - 1);
            var (first, end) = meta.SampleRange;
            var index = Enumerable.Range(first, end - first).Select(i => (long)i).ToArray();
            await w.WriteAsync(new LogitBatch { Rows = index.Length, ClassCount = 2, Index = index, Logits = new float[index.Length * 2] });
            await w.CompleteAsync();
        }
        var e = Assert.ThrowsExactly<DistillException>(() => Ml.Data.LoadFromLogitCache(dir));
        StringAssert.StartsWith(e.Message, $"cache {dir} does not hold every sample exactly once: samples 10..19 are in no part (a gap;");

        e = Assert.ThrowsExactly<DistillException>(() => Ml.Data.LoadFromLogitCache(Path.Combine(dir, "missing")));
        StringAssert.Contains(e.Message, "not found");
    }

    [TestMethod]
    public async Task ACacheOfOtherDataIsRefusedOnLoad()
    {
        var dir = await Fixtures.FmnistCacheAsync(limit: 100);
        var train = Ml.Data.LoadFromDataset("fashion-mnist", "train");
        Assert.AreEqual(100L, Ml.Data.LoadFromLogitCache(dir, train).GetRowCount());

        var e = Assert.ThrowsExactly<DistillException>(() => Ml.Data.LoadFromLogitCache(dir, Ml.Data.LoadFromDataset("fashion-mnist", "test")));
        Assert.AreEqual($"cache {dir} was made from the 'train' split, not 'test'", e.Message);

        // Other data in a view of its own (the first 100 training images): its fingerprint differs.
        var (pixels, labels) = Fixtures.ReadIdx("train");
        var rows = Enumerable.Range(0, 100).Select(i => new Image { Features = pixels[(i * 784)..((i + 1) * 784)].Select(p => (float)p).ToArray(), Label = labels[i] });
        e = Assert.ThrowsExactly<DistillException>(() => Ml.Data.LoadFromLogitCache(dir, Ml.Data.LoadFromEnumerable(rows)));
        StringAssert.StartsWith(e.Message, $"cache {dir} was made from other data (fashion-mnist train, 60000 samples");
    }

    [TestMethod]
    public async Task ACacheReplacedAfterLoadingIsRefusedByTheNextCursor()
    {
        var dir = await Fixtures.FmnistCacheAsync(limit: 20);
        var view = Ml.Data.LoadFromLogitCache(dir);
        var other = await Fixtures.FmnistCacheAsync(limit: 30);
        File.Copy(Path.Combine(other, CacheSchema.PartName(0)), Path.Combine(dir, CacheSchema.PartName(0)), overwrite: true);
        var e = Assert.ThrowsExactly<DistillException>(() => view.GetColumn<long>("index").ToArray());
        Assert.AreEqual($"cache {dir} changed after it was loaded; load it again", e.Message);
    }

    public sealed class Image
    {
        [VectorType(1, 28, 28)] public float[] Features { get; set; } = Array.Empty<float>();
        /// <summary>The class index: with [KeyType] ML.NET stores it as the key index + 1.</summary>
        [KeyType(10)] public uint Label { get; set; }
    }
}
