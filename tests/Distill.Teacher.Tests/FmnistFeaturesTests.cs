using System.Text.Json;
using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>
/// The default teacher's pooled features and last block cached straight from its ONNX file (no re-export), against
/// PyTorch's values of those tensors (data/make_fmnist_features.py) and its logits (fmnist-resnet.reference-logits.json).
/// </summary>
[TestClass]
public sealed class FmnistFeaturesTests
{
    private static double[][] Reference(string file, string key) =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Data(file))).RootElement.GetProperty(key).EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private static PrecomputeRequest Request(params string[] outputs) => new()
    {
        TeacherPath = TestPaths.FmnistTeacher, Dataset = DatasetCatalog.Open("fashion-mnist", "test"),
        Preprocessing = PreprocessingFlags.None.Require(TeacherCard.TryLoadFor(TestPaths.FmnistTeacher), TestPaths.FmnistTeacher).Value,
        OutputDirectory = TestPaths.TempDir(), Device = ExecutionDevice.Cpu, BatchSize = 100, RowGroupSize = 200, Limit = 250, Threads = 2,
        OutputNames = outputs,
    };

    [TestMethod]
    public async Task PooledFeaturesAndLastBlockEqualPyTorchAndLogitsStayTheSame()
    {
        const string Pooled = "/Flatten_output_0", Block = "/l3/l3.1/Relu_1_output_0";
        var withFeatures = Request("logits", Pooled, Block);
        var result = await LogitPrecomputer.RunAsync(withFeatures);
        Assert.AreEqual(250L, result.Samples);
        using (var cache = LogitCacheReader.Open(withFeatures.OutputDirectory))
        {
            var m = cache.Metadata;
            Assert.AreEqual(10, m.ClassCount);
            CollectionAssert.AreEqual(new[] { 10 }, m.Outputs[0].Shape);
            CollectionAssert.AreEqual(new[] { 128 }, m.Outputs[1].Shape);
            CollectionAssert.AreEqual(new[] { 128, 7, 7 }, m.Outputs[2].Shape);
            CollectionAssert.AreEqual(new[] { "logits", "_Flatten_output_0", "_l3_l3_1_Relu_1_output_0" }, m.Outputs.Select(o => o.Column).ToArray());
        }
        var rows = await ScaleFixtures.ReadAll(withFeatures.OutputDirectory);
        var logits = ScaleFixtures.Rows(rows);
        var pooled = ScaleFixtures.Rows(rows, 0);
        var block = ScaleFixtures.Rows(rows, 1);

        var torchLogits = Reference("fmnist-resnet.reference-logits.json", "logits")[..250];
        var torchPooled = Reference("fmnist-resnet.reference-features.json", Pooled);
        var torchBlock = Reference("fmnist-resnet.reference-features.json", Block);
        static double MaxDiff(double[][] e, float[][] a) => e.Select((row, r) => row.Select((v, c) => Math.Abs(v - a[r][c])).Max()).Max();
        Console.WriteLine($"max |ORT - PyTorch|: logits {MaxDiff(torchLogits, logits):E1}, pooled {MaxDiff(torchPooled, pooled):E1}, block {MaxDiff(torchBlock, block):E1}");
        ScaleFixtures.AssertClose(torchLogits, logits, 1e-4, "logits vs PyTorch");
        ScaleFixtures.AssertClose(torchPooled, pooled[..torchPooled.Length], 1e-5, "pooled features vs PyTorch");
        ScaleFixtures.AssertClose(torchBlock, block[..torchBlock.Length], 1e-5, "last block vs PyTorch");
        // Global average pooling by hand: each pooled feature is the mean of its channel's 7x7 map.
        for (int r = 0; r < 250; r += 50)
            for (int c = 0; c < 128; c++)
                Assert.AreEqual(block[r].Skip(c * 49).Take(49).Select(v => (double)v).Average(), pooled[r][c], 1e-5, $"row {r} channel {c}");

        // The extra outputs leave the logits as a logits-only run has them.
        var plain = Request("logits");
        await LogitPrecomputer.RunAsync(plain);
        var plainLogits = ScaleFixtures.Rows(await ScaleFixtures.ReadAll(plain.OutputDirectory));
        ScaleFixtures.AssertClose(plainLogits.Select(r => r.Select(v => (double)v).ToArray()).ToArray(), logits, 1e-6, "logits with and without extra outputs");
    }
}
