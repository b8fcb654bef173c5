using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>
/// --output naming a tensor inside the graph (not a graph output): cached like an output, equal to PyTorch's value of
/// that tensor (fixtures/make_scale_fixtures.py, graph-reference.json), with dynamic and fixed batch, external
/// weights and ensembles; the model file itself is never changed.
/// </summary>
[TestClass]
public sealed class InnerTensorTests
{
    private const string Block = "/Relu_output_0", Features = "/Relu_1_output_0";

    private static double[][] Torch(string model, string tensor) => ScaleFixtures.Reference(model, tensor, "graph-reference.json");

    [TestMethod]
    public async Task InnerTensorsOfADynamicBatchTeacherEqualPyTorch()
    {
        string path = TestPaths.Fixture("inner-a.onnx");
        string sha = TeacherModel.Sha256Of(path);
        // 12 samples in batches of 5: the last batch is shorter.
        var req = ScaleFixtures.Request(new[] { "inner-a.onnx" }) with { OutputNames = new[] { "logits", Features, Block } };
        var result = await LogitPrecomputer.RunAsync(req);
        Assert.AreEqual(12L, result.Samples);
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            var m = cache.Metadata;
            CollectionAssert.AreEqual(new[] { "logits", Features, Block }, m.Outputs.Select(o => o.Name).ToArray());
            CollectionAssert.AreEqual(new[] { "logits", "_Relu_1_output_0", "_Relu_output_0" }, m.Outputs.Select(o => o.Column).ToArray());
            CollectionAssert.AreEqual(new[] { 3 }, m.Outputs[0].Shape);
            CollectionAssert.AreEqual(new[] { 8 }, m.Outputs[1].Shape);
            CollectionAssert.AreEqual(new[] { 4, 4, 4 }, m.Outputs[2].Shape);
            Assert.AreEqual(sha, m.TeacherSha256, "the cache names the teacher file, not the in-memory model with more outputs");
        }
        Assert.AreEqual(sha, TeacherModel.Sha256Of(path), "the model file is left as it was");
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", "logits"), ScaleFixtures.Rows(rows), 1e-5, "logits");
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Features), ScaleFixtures.Rows(rows, 0), 1e-5, Features);
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Block), ScaleFixtures.Rows(rows, 1), 1e-5, Block);
    }

    [TestMethod]
    public async Task AnInnerTensorFirstIsTheStoredTarget()
    {
        var req = ScaleFixtures.Request(new[] { "inner-a.onnx" }) with { OutputNames = new[] { Block } };
        var result = await LogitPrecomputer.RunAsync(req);
        Assert.IsNull(result.Accuracy, "no top-1 for a [4,4,4] map");
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Block), ScaleFixtures.Rows(await ScaleFixtures.ReadAll(req.OutputDirectory)), 1e-5, Block);
    }

    [TestMethod]
    public async Task FixedBatchTeacherWithValueInfoCachesInnerTensors()
    {
        // Same weights as inner-a, exported with a fixed batch of 4 and shape inference's value_info; 10 samples: the
        // last batch is padded with zeros and only its 2 real rows are kept.
        var warnings = new List<string>();
        var req = ScaleFixtures.Request(new[] { "inner-fixed4.onnx" }) with { OutputNames = new[] { "logits", Features }, Limit = 10 };
        await LogitPrecomputer.RunAsync(req, warn: warnings.Add);
        Assert.AreEqual("warning: teacher has a fixed batch of 4; using it instead of --batch 5", warnings.Single());
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", "logits")[..10], ScaleFixtures.Rows(rows), 1e-5, "logits");
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Features)[..10], ScaleFixtures.Rows(rows, 0), 1e-5, Features);
    }

    [TestMethod]
    public async Task TeacherWithExternalWeightsCachesInnerTensors()
    {
        // The edited model is handed to ONNX Runtime as bytes; its weights still come from the file beside it.
        var req = ScaleFixtures.Request(new[] { "inner-external.onnx" }) with { OutputNames = new[] { "logits", Features } };
        await LogitPrecomputer.RunAsync(req);
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", "logits"), ScaleFixtures.Rows(rows), 1e-5, "logits");
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Features), ScaleFixtures.Rows(rows, 0), 1e-5, Features);
    }

    [TestMethod]
    public async Task SeparateEnsembleStoresEachTeachersInnerTensor()
    {
        var req = ScaleFixtures.Request(new[] { "inner-a.onnx", "inner-b.onnx" }) with { OutputNames = new[] { "logits", Features } };
        await LogitPrecomputer.RunAsync(req);
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            CollectionAssert.AreEqual(new[] { "logits", "_Relu_1_output_0", "logits_t1", "_Relu_1_output_0_t1" },
                cache.Metadata.Outputs.Select(o => o.Column).ToArray());
            CollectionAssert.AreEqual(new[] { 0, 0, 1, 1 }, cache.Metadata.Outputs.Select(o => o.Teacher).ToArray());
        }
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", "logits"), ScaleFixtures.Rows(rows), 1e-5, "teacher a logits");
        ScaleFixtures.AssertClose(Torch("inner-a.onnx", Features), ScaleFixtures.Rows(rows, 0), 1e-5, "teacher a features");
        ScaleFixtures.AssertClose(Torch("inner-b.onnx", "logits"), ScaleFixtures.Rows(rows, 1), 1e-5, "teacher b logits");
        ScaleFixtures.AssertClose(Torch("inner-b.onnx", Features), ScaleFixtures.Rows(rows, 2), 1e-5, "teacher b features");
    }

    [TestMethod]
    public async Task MeanEnsembleAveragesAnInnerTensor()
    {
        var req = ScaleFixtures.Request(new[] { "inner-a.onnx", "inner-b.onnx" }) with { OutputNames = new[] { Features }, Ensemble = "mean" };
        await LogitPrecomputer.RunAsync(req);
        var a = Torch("inner-a.onnx", Features);
        var b = Torch("inner-b.onnx", Features);
        var expected = a.Select((row, r) => row.Select((v, c) => (v + b[r][c]) / 2).ToArray()).ToArray();
        ScaleFixtures.AssertClose(expected, ScaleFixtures.Rows(await ScaleFixtures.ReadAll(req.OutputDirectory)), 1e-5, "mean of features");
    }

    [TestMethod]
    public async Task UnknownTensorIsOneLineNamingCloseNames()
    {
        var req = ScaleFixtures.Request(new[] { "inner-a.onnx" }) with { OutputNames = new[] { "logits", "/relu_1_output" } };
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(req));
        Assert.AreEqual("teacher inner-a.onnx has no output or inner tensor '/relu_1_output' (close: /Relu_1_output_0, /Relu_output_0; " +
                        "outputs: logits [N,3]; all 13 tensors: precompute-logits layers inner-a.onnx)", e.Message);
        Assert.IsEmpty(Directory.Exists(req.OutputDirectory) ? Directory.GetFiles(req.OutputDirectory, "*.parquet*") : Array.Empty<string>(), "nothing written");
    }

    [TestMethod]
    public async Task TensorsThatAreNoPerSampleFloatsAreRefused()
    {
        // view(size(0), -1) exports int64 shape tensors: /Shape_output_0 [4], /Concat_output_0 [2] (the batch and -1).
        var concat = ScaleFixtures.Request(new[] { "inner-a.onnx" }) with { OutputNames = new[] { "logits", "/Concat_output_0" } };
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(concat));
        Assert.AreEqual("teacher inner-a.onnx: output '/Concat_output_0' is int64, expected float32 values", e.Message);
    }
}
