using System.Text.Json.Nodes;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The terms redesign against Debian's PyTorch 1.13 (golden/terms.json, written by golden/make_terms_cases.py from the
/// papers' code): hint_mse, hint_cosine, hint_smooth_l1, at, kd/dkd/dist with logit standardization, and adapter terms
/// with given weights — value and gradient w.r.t. the student (through the adapter), 1e-9 relative in float64, 1e-5 in float32.
/// </summary>
[TestClass]
public sealed class GoldenTermsTests
{
    public static string GoldenPath => Path.Combine(AppContext.BaseDirectory, "golden", "terms.json");

    public static IEnumerable<object[]> Cases()
    {
        var cases = (JsonNode.Parse(File.ReadAllText(GoldenPath))!["cases"] as JsonArray)!;
        for (int i = 0; i < cases.Count; i++)
            yield return new object[] { i, cases[i]!["loss"]!.GetValue<string>() + (cases[i]!["adapter"] is { } a ? "+" + a.GetValue<string>() : "") };
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float64MatchesPyTorch(int index, string loss) => Check(index, ScalarType.Float64, 1e-9);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float32MatchesPyTorch(int index, string loss) => Check(index, ScalarType.Float32, 1e-5);

    private static void Check(int index, ScalarType dtype, double tolerance)
    {
        var c = (JsonObject)JsonNode.Parse(File.ReadAllText(GoldenPath))!["cases"]![index]!;
        var got = LossCaseEvaluator.Evaluate(c, dtype);
        double value = c["value"]!.GetValue<double>();
        var grad = (c["grad_student"] as JsonArray)!.Select(x => x!.GetValue<double>()).ToArray();
        Assert.AreEqual(value, got.Value, tolerance * Math.Abs(value), $"case {index} ({c["loss"]}) value");
        Assert.AreEqual(grad.Length, got.GradStudent.Length);
        double scale = grad.Max(Math.Abs);
        for (int k = 0; k < grad.Length; k++)
            Assert.AreEqual(grad[k], got.GradStudent[k], tolerance * Math.Max(Math.Abs(grad[k]), scale), $"case {index} ({c["loss"]}) grad[{k}]");
    }
}
