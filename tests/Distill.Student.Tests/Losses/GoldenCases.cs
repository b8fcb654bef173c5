using System.Text.Json.Nodes;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// A golden file of PyTorch cases (tests/…/golden/*.json: value and gradient w.r.t. the student for each case) and the
/// one comparison every golden test makes: value and every gradient entry within <c>tolerance</c>, relative to the
/// value and to the gradient's largest entry (entries near zero are compared against the scale of the whole gradient).
/// </summary>
public static class GoldenCases
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "golden", file);

    public static JsonArray Load(string file) => (JsonNode.Parse(File.ReadAllText(PathOf(file)))!["cases"] as JsonArray)!;

    /// <summary>(index, label) rows for [DynamicData]; the label names the case in the test list.</summary>
    public static IEnumerable<object[]> Rows(string file, Func<JsonNode, string> label) =>
        Load(file).Select((c, i) => new object[] { i, label(c!) });

    public static void Check(string file, int index, ScalarType dtype, double tolerance)
    {
        var c = (JsonObject)Load(file)[index]!;
        var got = LossCaseEvaluator.Evaluate(c, dtype);
        double value = c["value"]!.GetValue<double>();
        var grad = (c["grad_student"] as JsonArray)!.Select(x => x!.GetValue<double>()).ToArray();
        Assert.AreEqual(value, got.Value, tolerance * Math.Abs(value), $"case {index} ({c["loss"]}) value");
        Assert.AreEqual(grad.Length, got.GradStudent.Length);
        double scale = grad.Max(Math.Abs);
        for (int k = 0; k < grad.Length; k++)
            Assert.AreEqual(grad[k], got.GradStudent[k], tolerance * Math.Max(Math.Abs(grad[k]), scale),
                $"case {index} ({c["loss"]}) grad[{k}]");
    }
}
