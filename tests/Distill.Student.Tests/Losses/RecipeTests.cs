using System.Text.Json.Nodes;
using Distill.Student.Losses;
using Distill.Student.Terms;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The reference recipes' objectives (recipes/fmnist: kd, dkd with its warmup, dist_t4, and ce with label smoothing)
/// as terms built from the recipes' shorthand, against PyTorch: golden/recipes.json holds the seeds' PyTorch code's
/// weighted terms, total and gradient in float64 (golden/make_recipes.py, Debian's PyTorch 1.13).
/// </summary>
[TestClass]
public sealed class RecipeTests
{
    private static readonly JsonObject Golden = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "recipes.json")))!;

    public static IEnumerable<object[]> Cases() => Golden["cases"]!.AsArray()
        .Select((c, i) => new object[] { i, $"{c!["name"]} epoch {c["epoch"]}" });

    // The recipes' shorthand (what make_recipes.py computes with).
    private static Recipe RecipeOf(string name) => name switch
    {
        "kd" => new Recipe { Loss = "kd", Temperature = 4 },
        "dkd" => new Recipe { Loss = "dkd", Alpha = 1, Beta = 8, Temperature = 4, Warmup = 5, CeWeight = 1 },
        "dist" => new Recipe { Loss = "dist", Beta = 2, Gamma = 2, Temperature = 4 },
        "ce" => new Recipe { Loss = "ce", LabelSmoothing = 0.1 },
        _ => throw new ArgumentException(name),
    };

    private static StepLoss Compute(Recipe r, Tensor s, Tensor t, Tensor y, int epoch, long classes)
    {
        var o = Objective.Build(RecipeTerms.Of(r));
        o.Bind(new Dictionary<string, long[]> { ["logits"] = new[] { classes } }, new[] { new TeacherColumn("logits", "logits", new[] { (int)classes }) }, CPU);
        return o.Compute(new Dictionary<string, Tensor> { ["logits"] = s }, new Dictionary<string, Tensor> { ["logits"] = t }, y, epoch);
    }

    private static double[] Numbers(JsonNode node) => node.AsArray().Select(x => x!.GetValue<double>()).ToArray();

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ObjectiveMatchesPyTorch(int index, string what)
    {
        using var scope = NewDisposeScope();
        var c = Golden["cases"]![index]!.AsObject();
        long b = Golden["B"]!.GetValue<long>(), classes = Golden["C"]!.GetValue<long>();
        var s = tensor(Numbers(Golden["student"]!), ScalarType.Float64).reshape(b, classes).requires_grad_(true);
        var t = tensor(Numbers(Golden["teacher"]!), ScalarType.Float64).reshape(b, classes);
        var y = tensor(Golden["labels"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray());

        var r = Compute(RecipeOf(c["name"]!.GetValue<string>()), s, t, y, c["epoch"]!.GetValue<int>(), classes);
        var parts = c["parts"]!.AsObject();
        CollectionAssert.AreEquivalent(parts.Select(p => p.Key).ToList(), r.Terms.Keys.ToList(), what);
        foreach (var (name, value) in parts)
        {
            double expected = value!.GetValue<double>();
            Assert.AreEqual(expected, r.Terms[name].item<double>(), 1e-9 * Math.Abs(expected), $"{what}: {name}");
        }
        double total = c["total"]!.GetValue<double>();
        Assert.AreEqual(total, r.Total.item<double>(), 1e-9 * Math.Abs(total), $"{what}: total");
        r.Total.backward();
        var grad = s.grad!.contiguous().data<double>().ToArray();
        var expectedGrad = Numbers(c["grad_student"]!);
        double scale = expectedGrad.Max(Math.Abs);
        for (int i = 0; i < grad.Length; i++)
            Assert.AreEqual(expectedGrad[i], grad[i], 1e-9 * scale, $"{what}: d total / d student[{i}]");
    }

    [TestMethod]
    public void CeAloneNeedsNoTeacherAndTheRecipesLossesAreRegistered()
    {
        Assert.IsFalse(Objective.Build(RecipeTerms.Of(new Recipe { Loss = "ce" })).NeedsTeacher);
        CollectionAssert.IsSubsetOf(new[] { "ce", "kd", "dkd", "dist", "adkd", "seg_kl", "det_mse", "hint_mse", "hint_cosine", "hint_smooth_l1", "at" }, LossRegistry.Names.ToList());
    }
}
