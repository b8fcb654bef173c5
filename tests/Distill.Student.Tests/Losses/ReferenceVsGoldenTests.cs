using System.Text.Json.Nodes;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The DiffSharp arrangement: the plain double reference (<see cref="ReferenceLosses"/>) and the TorchSharp losses
/// both run against the same golden cases. Also measures and prints the worst relative errors of the TorchSharp losses
/// over all cases (value, and gradient relative to its largest entry) in float64 and float32.
/// </summary>
[TestClass]
public sealed class ReferenceVsGoldenTests
{
    public TestContext TestContext { get; set; } = null!;

    private static JsonArray Cases() => GoldenCases.Load("losses.json");

    private static double[] Numbers(JsonNode c, string key) => (c[key] as JsonArray)!.Select(x => x!.GetValue<double>()).ToArray();

    private static Func<double[], double> Reference(JsonNode c)
    {
        var p = c["params"]!;
        double P(string k, double d) => p[k]?.GetValue<double>() ?? d;
        var t = Numbers(c, "teacher");
        string loss = c["loss"]!.GetValue<string>();
        if (loss is "seg_kl" or "det_mse")
        {
            var shape = (c["shape"] as JsonArray)!.Select(x => x!.GetValue<int>()).ToArray();
            return loss == "seg_kl" ? s => ReferenceLosses.SegKl(s, t, shape, P("T", 1)) : s => ReferenceLosses.DetMse(s, t, shape, P("T", 1));
        }
        int b = c["B"]!.GetValue<int>(), n = c["C"]!.GetValue<int>();
        var y = (c["labels"] as JsonArray)!.Select(x => x!.GetValue<int>()).ToArray();
        return loss switch
        {
            "kd" or "kldiv_seed" => s => ReferenceLosses.Kd(s, t, b, n, P("T", 4)),
            "dkd" => s => ReferenceLosses.Dkd(s, t, y, b, n, P("alpha", 1), P("beta", 8), P("T", 4)),
            "dist" => s => ReferenceLosses.Dist(s, t, b, n, P("beta", 1), P("gamma", 1), P("T", 1)),
            "adkd" => s => ReferenceLosses.Adkd(s, t, y, b, n, P("beta", 1)),
            _ => throw new ArgumentException(loss),
        };
    }

    [TestMethod]
    public void PlainReferenceMatchesEveryGoldenCase()
    {
        var cases = Cases();
        double worstValue = 0, worstGrad = 0;
        foreach (var c in cases)
        {
            var f = Reference(c!);
            var s = Numbers(c!, "student");
            double golden = c!["value"]!.GetValue<double>();
            double value = f(s);
            worstValue = Math.Max(worstValue, Math.Abs(value - golden) / Math.Abs(golden));
            Assert.AreEqual(golden, value, 1e-11 * Math.Abs(golden), $"{c["loss"]} reference value");
            var g = Numbers(c, "grad_student");
            var fd = ReferenceLosses.Gradient(f, s);
            double scale = g.Max(Math.Abs);
            double err = g.Zip(fd).Max(p => Math.Abs(p.First - p.Second)) / scale;
            worstGrad = Math.Max(worstGrad, err);
            Assert.IsTrue(err < 1e-6, $"{c["loss"]} reference finite-difference gradient off by {err:E2} of its scale");
        }
        TestContext.WriteLine($"plain reference vs golden: value {worstValue:E2}, finite-difference gradient {worstGrad:E2}");
    }

    [TestMethod]
    [DataRow("float64", 1e-9, false)]
    [DataRow("float32", 1e-5, false)]
    [DataRow("float64", 1e-9, true)]
    [DataRow("float32", 1e-5, true)]
    public void WorstErrorsOverAllGoldenCases(string dtype, double tolerance, bool tensorPath)
    {
        using var path = tensorPath ? CpuLossKernels.DisableOnThisThread() : null;
        dtype += tensorPath ? " (tensor path)" : "";
        var type = dtype.StartsWith("float32") ? ScalarType.Float32 : ScalarType.Float64;
        var cases = Cases();
        var results = LossCaseEvaluator.EvaluateFile(GoldenCases.PathOf("losses.json"), type);
        double worstValue = 0, worstGrad = 0;
        var perLoss = new SortedDictionary<string, (double V, double G)>();
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i]!;
            double golden = c["value"]!.GetValue<double>();
            double ev = Math.Abs(results[i].Value - golden) / Math.Abs(golden);
            var g = Numbers(c, "grad_student");
            double scale = g.Max(Math.Abs);
            double eg = g.Zip(results[i].GradStudent).Max(p => Math.Abs(p.First - p.Second)) / scale;
            worstValue = Math.Max(worstValue, ev); worstGrad = Math.Max(worstGrad, eg);
            string loss = c["loss"]!.GetValue<string>();
            var prev = perLoss.GetValueOrDefault(loss);
            perLoss[loss] = (Math.Max(prev.V, ev), Math.Max(prev.G, eg));
        }
        TestContext.WriteLine($"{dtype}: worst value error {worstValue:E2}, worst gradient error {worstGrad:E2} (relative to the gradient's largest entry)");
        foreach (var (loss, (v, g)) in perLoss) TestContext.WriteLine($"  {loss,-10} value {v:E2}  grad {g:E2}");
        Assert.IsTrue(worstValue <= tolerance && worstGrad <= tolerance, $"{dtype}: {worstValue:E2} / {worstGrad:E2} above {tolerance:E0}");
    }
}
