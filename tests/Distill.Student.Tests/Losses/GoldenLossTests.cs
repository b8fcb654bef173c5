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
    public static string GoldenPath => Path.Combine(AppContext.BaseDirectory, "golden", "losses.json");

    public static IEnumerable<object[]> Cases()
    {
        var cases = (JsonNode.Parse(File.ReadAllText(GoldenPath))!["cases"] as JsonArray)!;
        for (int i = 0; i < cases.Count; i++) yield return new object[] { i, cases[i]!["loss"]!.GetValue<string>() };
    }

    private static JsonObject Case(int i) => (JsonObject)JsonNode.Parse(File.ReadAllText(GoldenPath))!["cases"]![i]!;

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float64MatchesPyTorch(int index, string loss) => Check(index, ScalarType.Float64, 1e-9);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float32MatchesPyTorch(int index, string loss) => Check(index, ScalarType.Float32, 1e-5);

    private static void Check(int index, ScalarType dtype, double tolerance)
    {
        var c = Case(index);
        var got = LossCaseEvaluator.Evaluate(c, dtype);
        double value = c["value"]!.GetValue<double>();
        var grad = (c["grad_student"] as JsonArray)!.Select(x => x!.GetValue<double>()).ToArray();
        Assert.AreEqual(value, got.Value, tolerance * Math.Abs(value), $"case {index} ({c["loss"]}) value");
        Assert.AreEqual(grad.Length, got.GradStudent.Length);
        // Relative to the gradient's scale: entries near zero are compared against the largest one.
        double scale = grad.Max(Math.Abs);
        for (int k = 0; k < grad.Length; k++)
            Assert.AreEqual(grad[k], got.GradStudent[k], tolerance * Math.Max(Math.Abs(grad[k]), scale),
                $"case {index} ({c["loss"]}) grad[{k}]");
    }

    [TestMethod]
    public void LossEvalWritesResultsInCaseOrder()
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"loss-eval-{Guid.NewGuid():N}.json");
        var results = LossCaseEvaluator.EvaluateFile(GoldenPath, ScalarType.Float64);
        LossCaseEvaluator.WriteResults(outPath, results);
        var written = (JsonNode.Parse(File.ReadAllText(outPath))!["results"] as JsonArray)!;
        var cases = (JsonNode.Parse(File.ReadAllText(GoldenPath))!["cases"] as JsonArray)!;
        Assert.AreEqual(cases.Count, written.Count);
        for (int i = 0; i < cases.Count; i++)
            Assert.AreEqual(cases[i]!["value"]!.GetValue<double>(), written[i]!["value"]!.GetValue<double>(),
                1e-9 * Math.Abs(cases[i]!["value"]!.GetValue<double>()));
    }
}
