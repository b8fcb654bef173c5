using Distill.Cache;
using Distill.Data;
using Distill.MLNet.Precompute;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.MLNet.Tests;

/// <summary>PrecomputeTeacherLogits: the teacher's logits as ONNX Runtime gives them here, the tool's cache from the same data.</summary>
[TestClass]
public sealed class PrecomputeTeacherLogitsTests
{
    private static readonly MLContext Ml = new(seed: 0);
    private const int N = 64;

    private static (Image[] Rows, byte[] Pixels) TestImages()
    {
        var (pixels, labels) = Fixtures.ReadIdx("test");
        return (Enumerable.Range(0, N).Select(i => new Image { Features = pixels[(i * 784)..((i + 1) * 784)].Select(p => (float)p).ToArray(), Label = labels[i] }).ToArray(), pixels);
    }

    /// <summary>The teacher run here on the card's preprocessing, written out: (pixel / 255 − mean) / std.</summary>
    private static float[][] TeacherLogits(byte[] pixels, int count)
    {
        var card = Fixtures.FmnistCard;
        var input = new float[count * 784];
        for (int i = 0; i < input.Length; i++) input[i] = (float)((pixels[i] / 255.0 - card.Mean![0]) / card.Std![0]);
        using var session = new InferenceSession(Fixtures.FmnistTeacher);
        using var x = OrtValue.CreateTensorValueFromMemory(input, new long[] { count, 1, 28, 28 });
        using var outputs = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["input"] = x }, new[] { "logits" });
        var flat = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        return Enumerable.Range(0, count).Select(i => flat[(i * 10)..((i + 1) * 10)]).ToArray();
    }

    [TestMethod]
    public void CachesTheTeacherOverAnEnumerableAndJoinsItsLogitsToTheRows()
    {
        var (rows, pixels) = TestImages();
        var data = Ml.Data.LoadFromEnumerable(rows);
        var dir = Fixtures.TempDir();
        var messages = new List<string>();
        var ml = new MLContext(seed: 0);
        ml.Log += (_, e) => { if (e.Source.StartsWith("PrecomputeTeacherLogits")) lock (messages) messages.Add(e.RawMessage); };
        var fitted = ml.Transforms.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
        {
            TeacherPath = Fixtures.FmnistTeacher, OutputDirectory = dir, Split = "test", Threads = 2, RowGroupSize = 32, Device = Teacher.ExecutionDevice.Cpu,
        }).Fit(data);

        var expected = TeacherLogits(pixels, N);
        var cached = Ml.Data.LoadFromLogitCache(dir).GetColumn<float[]>("logits").ToArray();
        var joined = fitted.Transform(data);
        var joinedLogits = joined.GetColumn<float[]>("logits").ToArray();
        var joinedLabels = joined.GetColumn<uint>("Label").ToArray();
        Assert.HasCount(N, cached);
        for (int i = 0; i < N; i++)
            for (int c = 0; c < 10; c++)
            {
                Assert.AreEqual(expected[i][c], cached[i][c], 1e-4, $"cached logit {c} of image {i}");
                Assert.AreEqual(cached[i][c], joinedLogits[i][c], $"joined logit {c} of image {i}");
            }
        CollectionAssert.AreEqual(rows.Select(r => r.Label + 1).ToArray(), joinedLabels, "the data's own columns pass through");

        var m = fitted.Cache.Metadata;
        Assert.AreEqual("test", m.Split);
        Assert.AreEqual(N, m.DatasetCount);
        Assert.IsTrue(m.HasLabels);
        CollectionAssert.AreEqual(Fixtures.FmnistCard.Classes, m.ClassNames!.ToArray());
        Assert.IsTrue(messages.Any(s => s.StartsWith($"{N} × 10 logits on cpu")), string.Join("\n", messages));
    }

    [TestMethod]
    public void OtherDataOrAPartialCacheIsNotJoined()
    {
        var (rows, _) = TestImages();
        var data = Ml.Data.LoadFromEnumerable(rows);
        var estimator = Ml.Transforms.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
        {
            TeacherPath = Fixtures.FmnistTeacher, OutputDirectory = Fixtures.TempDir(), Threads = 2, Device = Teacher.ExecutionDevice.Cpu,
        });
        var fitted = estimator.Fit(data);
        Assert.AreEqual($"{fitted.Cache.Directory} already holds a cache (set Overwrite to replace it, or read it with LoadFromLogitCache)",
            Assert.ThrowsExactly<DistillException>(() => estimator.Fit(data)).Message);
        rows[5].Features[100] += 1;   // one pixel of one image
        var e = Assert.ThrowsExactly<DistillException>(() => fitted.Transform(Ml.Data.LoadFromEnumerable(rows)));
        StringAssert.StartsWith(e.Message, $"the data ({N} rows, fingerprint ");

        var partial = Ml.Transforms.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
        {
            TeacherPath = Fixtures.FmnistTeacher, OutputDirectory = Fixtures.TempDir(), Limit = 10, Threads = 2, Device = Teacher.ExecutionDevice.Cpu,
        }).Fit(data);
        e = Assert.ThrowsExactly<DistillException>(() => partial.Transform(data));
        StringAssert.Contains(e.Message, $"holds 10 rows for {N} samples");

        e = Assert.ThrowsExactly<DistillException>(() => Ml.Transforms.PrecomputeTeacherLogits(Fixtures.FmnistTeacher, "Pixels", Fixtures.TempDir()).Fit(data));
        Assert.AreEqual("the data has no column 'Pixels' (columns: Features, Label)", e.Message);
    }

    [TestMethod]
    public void TheDatasetViewGivesTheCacheThatPrecomputeLogitsWrites()
    {
        var dir = Fixtures.TempDir();
        Ml.Transforms.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
        {
            TeacherPath = Fixtures.FmnistTeacher, OutputDirectory = dir, Limit = 300, Threads = 2, Device = Teacher.ExecutionDevice.Cpu,
        }).Fit(Ml.Data.LoadFromDataset("fashion-mnist", "train"));
        var toolDir = Fixtures.TempDir();
        var run = ToolRunner.Run("precompute-logits", new[] { "--teacher", Fixtures.FmnistTeacher, "--dataset", "fashion-mnist", "--split", "train",
            "--limit", "300", "--threads", "2", "--device", "cpu", "--out", toolDir, "--overwrite" });
        Assert.AreEqual(0, run.Code, run.Stderr);

        using var ours = LogitCacheReader.Open(dir);
        using var tool = LogitCacheReader.Open(toolDir);
        var (a, b) = (ours.Metadata, tool.Metadata);
        Assert.AreEqual(b.Fingerprint, a.Fingerprint);
        Assert.AreEqual(b.DatasetName, a.DatasetName);
        Assert.AreEqual(b.DatasetCount, a.DatasetCount);
        Assert.AreEqual(b.Preprocessing.ToString(), a.Preprocessing.ToString());
        CollectionAssert.AreEqual(b.ClassNames!.ToArray(), a.ClassNames!.ToArray());
        var x = Fixtures.DuckDb(dir, "SELECT index, label, logits FROM CACHE ORDER BY index");
        var y = Fixtures.DuckDb(toolDir, "SELECT index, label, logits FROM CACHE ORDER BY index");
        Assert.HasCount(300, x);
        for (int r = 0; r < 300; r++)
        {
            Assert.AreEqual(y[r][1], x[r][1]);
            CollectionAssert.AreEqual(Fixtures.Floats(y[r][2]), Fixtures.Floats(x[r][2]), $"row {r}");
        }
    }

    public sealed class Image
    {
        [VectorType(1, 28, 28)] public float[] Features { get; set; } = Array.Empty<float>();
        /// <summary>The class index: with [KeyType] ML.NET stores it as the key index + 1.</summary>
        [KeyType(10)] public uint Label { get; set; }
    }
}
