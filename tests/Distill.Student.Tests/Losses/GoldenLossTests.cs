using System.Text.Json.Nodes;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// Every case of the golden file (PyTorch 2.11, float64, the seed implementations): value and gradient w.r.t. the
/// student logits, within 1e-9 relative in float64 and 1e-5 in float32. The file is a copy of
/// ../shared/golden/losses.json so the tests run without ../shared.
/// </summary>
[TestClass]
public sealed class GoldenLossTests
{
    private const string GoldenFile = "losses.json";

    public static IEnumerable<object[]> Cases() => GoldenCases.Rows(GoldenFile, c => c["loss"]!.GetValue<string>());

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float64MatchesPyTorch(int index, string loss) => GoldenCases.Check(GoldenFile, index, ScalarType.Float64, 1e-9);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float32MatchesPyTorch(int index, string loss) => GoldenCases.Check(GoldenFile, index, ScalarType.Float32, 1e-5);

    // kd and dkd run small CPU batches through fused kernels; the tensor path (large or non-CPU batches) is held to
    // the same golden cases here.
    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void TensorPathFloat64MatchesPyTorch(int index, string loss)
    {
        using (CpuLossKernels.DisableOnThisThread()) GoldenCases.Check(GoldenFile, index, ScalarType.Float64, 1e-9);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void TensorPathFloat32MatchesPyTorch(int index, string loss)
    {
        using (CpuLossKernels.DisableOnThisThread()) GoldenCases.Check(GoldenFile, index, ScalarType.Float32, 1e-5);
    }

    [TestMethod]
    public void LossEvalWritesResultsInCaseOrder()
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"loss-eval-{Guid.NewGuid():N}.json");
        var results = LossCaseEvaluator.EvaluateFile(GoldenCases.PathOf(GoldenFile), ScalarType.Float64);
        LossCaseEvaluator.WriteResults(outPath, results);
        var written = (JsonNode.Parse(File.ReadAllText(outPath))!["results"] as JsonArray)!;
        var cases = GoldenCases.Load(GoldenFile);
        Assert.AreEqual(cases.Count, written.Count);
        for (int i = 0; i < cases.Count; i++)
            Assert.AreEqual(cases[i]!["value"]!.GetValue<double>(), written[i]!["value"]!.GetValue<double>(),
                1e-9 * Math.Abs(cases[i]!["value"]!.GetValue<double>()));
    }
}
