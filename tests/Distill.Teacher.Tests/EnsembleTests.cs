using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>Several --teacher: each its own column, or averaged logits / probabilities; class counts must agree.</summary>
[TestClass]
public sealed class EnsembleTests
{
    private static readonly string[] Pair = { "ensemble-a.onnx", "ensemble-b.onnx" };

    [TestMethod]
    public async Task SeparateColumnsHoldEachTeachersLogits()
    {
        var req = ScaleFixtures.Request(Pair);
        await LogitPrecomputer.RunAsync(req);
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            var m = cache.Metadata;
            Assert.AreEqual("separate", m.Ensemble);
            CollectionAssert.AreEqual(Pair, m.AllTeachers.Select(t => t.File).ToArray());
            CollectionAssert.AreEqual(new[] { "logits", "logits_t1" }, m.Outputs.Select(o => o.Column).ToArray());
            CollectionAssert.AreEqual(new[] { 0, 1 }, m.Outputs.Select(o => o.Teacher).ToArray());
            Assert.AreNotEqual(m.AllTeachers[0].Sha256, m.AllTeachers[1].Sha256);
        }
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("ensemble-a.onnx"), ScaleFixtures.Rows(rows), 1e-5, "teacher a");
        ScaleFixtures.AssertClose(ScaleFixtures.Reference("ensemble-b.onnx"), ScaleFixtures.Rows(rows, 0), 1e-5, "teacher b");
    }

    [TestMethod]
    public async Task MeanAveragesLogits()
    {
        var req = ScaleFixtures.Request(Pair) with { Ensemble = "mean" };
        await LogitPrecomputer.RunAsync(req);
        var a = ScaleFixtures.Reference("ensemble-a.onnx");
        var b = ScaleFixtures.Reference("ensemble-b.onnx");
        var expected = a.Select((row, r) => row.Select((v, c) => (v + b[r][c]) / 2).ToArray()).ToArray();
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        ScaleFixtures.AssertClose(expected, ScaleFixtures.Rows(rows), 1e-5, "mean of logits");
        Assert.IsEmpty(rows[0].Extra);
        using var cache = LogitCacheReader.Open(req.OutputDirectory);
        Assert.AreEqual(-1, cache.Metadata.Outputs[0].Teacher);
    }

    [TestMethod]
    public async Task MeanProbStoresTheLogOfTheAveragedDistribution()
    {
        var req = ScaleFixtures.Request(Pair) with { Ensemble = "mean-prob" };
        await LogitPrecomputer.RunAsync(req);
        static double[] Softmax(double[] z) { var e = z.Select(v => Math.Exp(v - z.Max())).ToArray(); return e.Select(v => v / e.Sum()).ToArray(); }
        var a = ScaleFixtures.Reference("ensemble-a.onnx");
        var b = ScaleFixtures.Reference("ensemble-b.onnx");
        var expected = a.Select((row, r) =>
        {
            var pa = Softmax(row); var pb = Softmax(b[r]);
            return pa.Select((p, c) => Math.Log((p + pb[c]) / 2)).ToArray();
        }).ToArray();
        ScaleFixtures.AssertClose(expected, ScaleFixtures.Rows(await ScaleFixtures.ReadAll(req.OutputDirectory)), 1e-5, "log mean prob");
    }

    [TestMethod]
    public async Task TeachersWithDifferentClassCountsAreRefused()
    {
        var req = ScaleFixtures.Request(new[] { "ensemble-a.onnx", "five-classes.onnx" });
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(req));
        Assert.AreEqual("teachers disagree on the class count: ensemble-a.onnx outputs 3 classes, five-classes.onnx outputs 5", e.Message);
        Assert.IsFalse(Directory.EnumerateFiles(req.OutputDirectory, "*", SearchOption.AllDirectories).Any(), "nothing written");
        var single = ScaleFixtures.Request(new[] { "ensemble-a.onnx" }) with { Ensemble = "mean" };
        e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(single));
        Assert.AreEqual("--ensemble mean needs several --teacher models", e.Message);
    }
}
