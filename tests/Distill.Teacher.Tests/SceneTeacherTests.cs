using Distill.Cache;
using Distill.Data;
using Distill.Data.Scenes;

namespace Distill.Teacher.Tests;

/// <summary>
/// Acceptance 2 of the multi-task teacher, on the first 32 test canvases (the full 256: models/fmnist-scenes/check_cache.sh):
/// the cached seg and det of models/fmnist-scenes equal PyTorch's outputs (tests/Shared/fmnist-scenes, written by
/// make_fixtures.py), to 1e-4 in float32 and 1e-2 relative with float16 (which stores the first output, seg).
/// </summary>
[TestClass]
public sealed class SceneTeacherTests
{
    private static string Teacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-scenes", "fmnist-scenes.onnx");

    private static float[][] Torch(string name)
    {
        var d = DatasetCatalog.Open("npy:" + Path.Combine(AppContext.BaseDirectory, "fmnist-scenes", name), "train");
        return Enumerable.Range(0, d.Count).Select(i =>
        {
            var row = new float[d.SampleSize()];
            d.ReadSamples(i, 1, row);
            return row;
        }).ToArray();
    }

    private static PrecomputeRequest Request(IDataset data, CacheEncoding encoding) => new()
    {
        TeacherPath = Teacher, Dataset = data, OutputNames = new[] { "seg", "det" }, Encoding = encoding,
        Preprocessing = PreprocessingFlags.None.Require(TeacherCard.TryLoadFor(Teacher), Teacher).Value,
        DetectionHeads = TeacherCard.TryLoadFor(Teacher)!.DetectionHeads,
        OutputDirectory = TestPaths.TempDir(), Device = ExecutionDevice.Cpu, BatchSize = 16, Threads = 2,
    };

    [TestMethod]
    public async Task CachedSegAndDetEqualPyTorch()
    {
        var seg = Torch("seg.npy");
        var det = Torch("det.npy");
        string dir = Path.Combine(TestPaths.TempDir(), "scenes");
        SceneWriter.Write(dir, 14, new[] { new SceneWriter.Split("test", DatasetCatalog.Open("fashion-mnist", "test"), seg.Length) },
            SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        var data = DatasetCatalog.Open("yolo:" + dir, "test");

        var request = Request(data, CacheEncoding.Float32);
        var result = await LogitPrecomputer.RunAsync(request);
        Assert.IsNull(result.Accuracy, "scenes have no class label: no teacher top-1");
        using (var cache = LogitCacheReader.Open(request.OutputDirectory))
        {
            CollectionAssert.AreEqual(new[] { "seg", "det" }, cache.Metadata.Outputs.Select(o => o.Name).ToArray());
            CollectionAssert.AreEqual(new[] { 11, 16, 16 }, cache.Metadata.Outputs[0].Shape);
            CollectionAssert.AreEqual(new[] { 192, 15 }, cache.Metadata.Outputs[1].Shape);
            Assert.AreEqual(data.Fingerprint, cache.Metadata.Fingerprint);
            // The card's anchors and grid travel with the det column (models/fmnist-scenes/fmnist-scenes.json).
            var head = cache.Metadata.Detection!["det"];
            Assert.AreEqual("[[14,21],[24,14],[26,31]]", System.Text.Json.JsonSerializer.Serialize(head.Anchors));
            CollectionAssert.AreEqual(new[] { 8, 8 }, head.Grid);
            Assert.HasCount(1, cache.Metadata.Detection);
        }
        var rows = await ScaleFixtures.ReadAll(request.OutputDirectory);
        AssertClose(seg, ScaleFixtures.Rows(rows), 1e-4, 0, "seg");
        AssertClose(det, ScaleFixtures.Rows(rows, 0), 1e-4, 0, "det");

        // --dtype seg=float16: that column alone; --dtype float16: every column.
        var half = Request(data, CacheEncoding.Parse(new[] { "seg=float16" }, 0));
        await LogitPrecomputer.RunAsync(half);
        var halfRows = await ScaleFixtures.ReadAll(half.OutputDirectory);
        AssertClose(seg, ScaleFixtures.Rows(halfRows), 0, 1e-2, "float16 seg");
        AssertClose(det, ScaleFixtures.Rows(halfRows, 0), 1e-4, 0, "det beside float16 seg (float32)");
        var allHalf = Request(data, CacheEncoding.Float16);
        await LogitPrecomputer.RunAsync(allHalf);
        using (var cache = LogitCacheReader.Open(allHalf.OutputDirectory))
            Assert.IsTrue(cache.Metadata.ColumnCodecs.All(c => c is Float16Codec), "--dtype float16 stores every column as float16");
        var allHalfRows = await ScaleFixtures.ReadAll(allHalf.OutputDirectory);
        AssertClose(det, ScaleFixtures.Rows(allHalfRows, 0), 1e-4, 1e-3, "float16 det");
    }

    [TestMethod]
    public async Task ACardWhoseDetectionHeadDoesNotFitTheOutputIsRefused()
    {
        string dir = Path.Combine(TestPaths.TempDir(), "scenes");
        SceneWriter.Write(dir, 14, new[] { new SceneWriter.Split("test", DatasetCatalog.Open("fashion-mnist", "test"), 4) },
            SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        // 3 anchors on a 4x4 grid are 48 rows; the model's det output has 192.
        var request = Request(DatasetCatalog.Open("yolo:" + dir, "test"), CacheEncoding.Float32) with
        {
            DetectionHeads = new Dictionary<string, DetectionHead> { ["det"] = new(new[] { new[] { 14.0, 21 }, new[] { 24.0, 14 }, new[] { 26.0, 31 } }, new[] { 4, 4 }) },
        };
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(request));
        Assert.AreEqual("the teacher card's detection output 'det' does not fit the model: 3 anchors on a 4x4 grid make [48, 5 + K] per sample, the output is [192, 15]", e.Message);
        Assert.IsFalse(Directory.Exists(request.OutputDirectory) && Directory.EnumerateFiles(request.OutputDirectory).Any(), "nothing written");
    }

    // |actual − expected| ≤ absolute + relative·|expected|; float16's subnormal range is covered by a 1e-4 floor.
    private static void AssertClose(float[][] expected, float[][] actual, double absolute, double relative, string what)
    {
        Assert.HasCount(expected.Length, actual, what + ": rows");
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.HasCount(expected[r].Length, actual[r], $"{what}: row {r} width");
            for (int c = 0; c < expected[r].Length; c++)
            {
                double e = expected[r][c], tolerance = Math.Max(absolute + relative * Math.Abs(e), relative > 0 ? 1e-4 : 0);
                Assert.AreEqual(e, actual[r][c], tolerance, $"{what}: canvas {r} value {c}");
            }
        }
    }
}
