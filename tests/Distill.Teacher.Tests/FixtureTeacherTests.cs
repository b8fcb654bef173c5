using System.Text.Json;
using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>
/// Small teachers made by fixtures/make_fixtures.py with PyTorch: other input/output names, a fixed batch size, two
/// outputs, a flattened input, and models the dataset cannot feed. Expected logits are PyTorch's own.
/// </summary>
[TestClass]
public sealed class FixtureTeacherTests
{
    private static readonly Preprocessing Pre = new(1 / 255.0, new[] { 0.5 }, new[] { 0.25 });

    private static double[][] Reference(string key) =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("reference-logits.json"))).RootElement.GetProperty(key)
            .EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private static Task<PrecomputeResult> Run(string model, string? output = null, int batch = 5, int limit = 0, string? dir = null,
        bool overwrite = false) =>
        LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.Fixture(model), Dataset = DatasetCatalog.Open(TestPaths.TinyIdx, "test"),
            Preprocessing = Pre, OutputDirectory = dir ?? TestPaths.TempDir(), OutputName = output, Device = ExecutionDevice.Cpu,
            BatchSize = batch, Limit = limit, RowGroupSize = 4, Overwrite = overwrite,
        });

    private static async Task AssertCacheEquals(PrecomputeResult result, double[][] expected, int rows)
    {
        using var cache = LogitCacheReader.Open(Path.GetDirectoryName(result.File)!);
        Assert.AreEqual((long)rows, cache.RowCount);
        int row = 0;
        await foreach (var b in cache.ReadAllAsync())
            for (int r = 0; r < b.Rows; r++, row++)
                for (int c = 0; c < b.ClassCount; c++)
                    Assert.AreEqual(expected[row][c], b.RowLogits(r)[c], 1e-5, $"row {row} class {c}");
        Assert.AreEqual(rows, row);
    }

    [TestMethod]
    public async Task DynamoStyleNamesWithAShortLastBatch()
    {
        var result = await Run("names-x-linear.onnx", batch: 5); // 12 rows: 5 + 5 + 2
        await AssertCacheEquals(result, Reference("net"), 12);
        using var cache = LogitCacheReader.Open(Path.GetDirectoryName(result.File)!);
        Assert.AreEqual("x", cache.Metadata.InputName);
        Assert.AreEqual("linear", cache.Metadata.Outputs[0].Name);
        Assert.AreEqual(3, cache.Metadata.ClassCount);
    }

    [TestMethod]
    public async Task FixedBatchModelGetsPaddedLastBatch()
    {
        var result = await Run("fixed-batch4.onnx", batch: 256, limit: 10); // batches of 4: 4 + 4 + 2 (padded)
        await AssertCacheEquals(result, Reference("net"), 10);
    }

    [TestMethod]
    public async Task TwoOutputsNeedOutputAndUnknownNamesAreListed()
    {
        var ambiguous = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("two-outputs.onnx"));
        StringAssert.Contains(ambiguous.Message, "features [N,8]");
        StringAssert.Contains(ambiguous.Message, "logits [N,3]");
        StringAssert.Contains(ambiguous.Message, "--output");
        var unknown = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("two-outputs.onnx", output: "probs"));
        StringAssert.Contains(unknown.Message, "no output or inner tensor 'probs'");
        await AssertCacheEquals(await Run("two-outputs.onnx", output: "logits"), Reference("net"), 12);
    }

    [TestMethod]
    public async Task FlattenedInputIsFedFromImageSamples() =>
        await AssertCacheEquals(await Run("flat-input.onnx"), Reference("flat"), 12);

    [TestMethod]
    public async Task NaNLogitsAreReportedWithTheFirstBadIndexAndNoCacheIsLeft()
    {
        var dir = TestPaths.TempDir();
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("nan-on-dark.onnx", dir: dir));
        StringAssert.Contains(e.Message, "NaN logits for sample 5");
        Assert.AreEqual(0, Directory.GetFiles(dir, "part-*", SearchOption.AllDirectories).Length, "no part file, not even a .tmp");
        Assert.AreEqual(0, Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories).Length, "no .tmp file");
    }

    [TestMethod]
    public async Task InputsTheDatasetCannotFeedAreRefused()
    {
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("int-input.onnx"));
        StringAssert.Contains(e.Message, "input 'input' is int64");
        // The 28x28 teacher cannot take 4x4 samples.
        var size = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.FmnistTeacher, Dataset = DatasetCatalog.Open(TestPaths.TinyIdx, "test"),
            Preprocessing = Pre, OutputDirectory = TestPaths.TempDir(), Device = ExecutionDevice.Cpu,
        }));
        StringAssert.Contains(size.Message, "[N,1,28,28]");
    }

    [TestMethod]
    public async Task MissingOrNonOnnxTeacherAndExistingOutputAreErrors()
    {
        var missing = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("no-such-model.onnx"));
        StringAssert.Contains(missing.Message, "not found");
        var notOnnx = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("reference-logits.json"));
        StringAssert.Contains(notOnnx.Message, "not a loadable ONNX model");

        var dir = TestPaths.TempDir();
        await Run("names-x-linear.onnx", dir: dir);
        var exists = await Assert.ThrowsExactlyAsync<DistillException>(() => Run("names-x-linear.onnx", dir: dir));
        StringAssert.Contains(exists.Message, "--overwrite");
        await Run("flat-input.onnx", dir: dir, overwrite: true);
        await AssertCacheEquals(new PrecomputeResult(Path.Combine(dir, "part-00000.parquet"), 12, 3, 1, 1, null, "cpu"), Reference("flat"), 12);
    }
}
