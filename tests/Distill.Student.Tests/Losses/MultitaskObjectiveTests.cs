using System.Text.Json.Nodes;
using Distill.Student.Losses;
using Distill.Student.Metrics;
using Distill.Student.Terms;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// Acceptance 1 of issue 14: seed 003's multi-task objective as terms (seg_ce, seg_kl, det_yolo, det_mse with α and Ratio
/// folded into their weights) equals PyTorch: golden/multitask.json holds, per case, the seed's two functions verbatim,
/// per-pixel CE against the masks resized by PyTorch's nearest-exact interpolation, models/fmnist-scenes/train.py's own
/// det_loss, combined as the seed combines them (make_multitask_cases.py, Debian's PyTorch 1.13, float64). The first
/// case is the committed recipe recipes/fmnist-scenes/multitask-small.distill.json on the fmnist-scenes layout, read from
/// its file. Each weighted term, the total and its gradient w.r.t. the student's seg and det: 1e-9 relative in float64,
/// 1e-5 in float32.
/// </summary>
[TestClass]
public sealed class MultitaskObjectiveTests
{
    private static readonly JsonObject Golden = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "multitask.json")))!;

    public static IEnumerable<object[]> Cases() => Golden["cases"]!.AsArray().Select((c, i) => new object[] { i, c!["name"]!.GetValue<string>() });

    private static double[] Numbers(JsonNode node) => node.AsArray().Select(x => x!.GetValue<double>()).ToArray();
    private static long[] Shape(JsonNode node) => node.AsArray().Select(x => x!.GetValue<long>()).ToArray();

    /// <summary>The case's terms: the recipe file's, or the seed's combination written out as terms for the case's α, Ratio and T.</summary>
    private static IReadOnlyList<TermSpec> Terms(JsonObject c)
    {
        if (c["recipe"]?.GetValue<string>() is { } recipe)
            return RecipeTerms.Of(Recipe.Load(Path.Combine(RepoRoot.Dir, recipe)));
        double ad = c["alpha_det"]!.GetValue<double>(), aseg = c["alpha_seg"]!.GetValue<double>();
        double rd = c["ratio_det"]!.GetValue<double>(), rseg = c["ratio_seg"]!.GetValue<double>();
        return new[]
        {
            new TermSpec { Loss = "seg_ce", Weight = rseg * (1 - aseg), Student = "seg" },
            new TermSpec { Loss = "seg_kl", Weight = rseg * aseg, Student = "seg", Teacher = "seg" }
                .WithParameters(new Dictionary<string, object> { ["temperature"] = c["t_seg"]!.GetValue<double>() }),
            new TermSpec { Loss = "det_yolo", Weight = rd * (1 - ad), Student = "det" },
            new TermSpec { Loss = "det_mse", Weight = rd * ad, Student = "det", Teacher = "det" }
                .WithParameters(new Dictionary<string, object> { ["temperature"] = c["t_det"]!.GetValue<double>() }),
        };
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float64MatchesPyTorch(int index, string name) => Check(index, name, ScalarType.Float64, 1e-9);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float32MatchesPyTorch(int index, string name) => Check(index, name, ScalarType.Float32, 1e-5);

    private static void Check(int index, string name, ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var c = Golden["cases"]![index]!.AsObject();
        var l = c["layout"]!.AsObject();
        var anchors = l["anchors"]!.AsArray().Select(a => (a![0]!.GetValue<double>(), a[1]!.GetValue<double>())).ToArray();
        var grid = Shape(l["grid"]!);
        var input = Shape(l["input"]!);
        var layout = new YoloHeadLayout(anchors, (int)grid[0], (int)grid[1], (int)input[0], (int)input[1], l["classes"]!.GetValue<int>());
        long[] segShape = Shape(c["seg_shape"]!), detShape = Shape(c["det_shape"]!), maskShape = Shape(c["mask_shape"]!);

        var objective = Objective.Build(Terms(c));
        var columns = new[] { new TeacherColumn("logits", "seg", segShape[1..].Select(d => (int)d).ToArray()), new TeacherColumn("det", "det", detShape[1..].Select(d => (int)d).ToArray()) };
        objective.Bind(new Dictionary<string, long[]> { ["seg"] = segShape[1..], ["det"] = detShape[1..] }, columns, CPU,
            new[] { DenseTargetLayout.Masks, DenseTargetLayout.Boxes },
            new DenseTargetLayout((int)segShape[1], layout.ClassCount, new Dictionary<string, YoloHeadLayout> { ["det"] = layout }));

        Tensor Input(string key, long[] shape) => tensor(Numbers(c[key]!), ScalarType.Float64).reshape(shape).to_type(dtype);
        var seg = Input("student_seg", segShape).requires_grad_(true);
        var det = Input("student_det", detShape).requires_grad_(true);
        var teacher = new Dictionary<string, Tensor> { ["logits"] = Input("teacher_seg", segShape), ["det"] = Input("teacher_det", detShape) };
        var masks = tensor(c["masks"]!.AsArray().Select(v => (byte)v!.GetValue<int>()).ToArray()).reshape(maskShape);
        var boxRows = c["boxes"]!.AsArray().SelectMany(b => b!.AsArray().Select(v => (float)v!.GetValue<double>())).ToArray();
        var boxes = tensor(boxRows).reshape(boxRows.Length / 6, 6);

        var r = objective.Compute(new Dictionary<string, Tensor> { ["seg"] = seg, ["det"] = det }, teacher, null, 1,
            new Dictionary<string, Tensor> { [DenseTargetLayout.Masks] = masks, [DenseTargetLayout.Boxes] = boxes });
        foreach (var (term, value) in c["parts"]!.AsObject())
        {
            double expected = value!.GetValue<double>();
            Assert.AreEqual(expected, r.Terms[term].to_type(ScalarType.Float64).item<double>(), tolerance * Math.Abs(expected), $"{name}: {term}");
        }
        Assert.HasCount(4, r.Terms);
        double total = c["total"]!.GetValue<double>();
        Assert.AreEqual(total, r.Total.to_type(ScalarType.Float64).item<double>(), tolerance * Math.Abs(total), $"{name}: total");
        r.Total.backward();
        foreach (var (key, student) in new[] { ("grad_seg", seg), ("grad_det", det) })
        {
            var expected = Numbers(c[key]!);
            var got = student.grad!.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            Assert.HasCount(expected.Length, got, $"{name}: {key}");
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < got.Length; i++)
                Assert.AreEqual(expected[i], got[i], tolerance * Math.Max(Math.Abs(expected[i]), scale), $"{name}: {key}[{i}]");
        }
    }

    [TestMethod]
    public void TheRecipesFoldAlphaAndRatioIntoTheirWeights()
    {
        // α_det = α_seg = 0.5, Ratio = 1: every term 0.5; the label-only recipe keeps the label terms at Ratio · 1.
        var distill = Objective.Build(RecipeTerms.Of(Recipe.Load(Path.Combine(RepoRoot.Dir, "recipes", "fmnist-scenes", "multitask-small.distill.json"))));
        CollectionAssert.AreEqual(new[] { ("seg_ce", 0.5), ("seg_kl", 0.5), ("det_yolo", 0.5), ("det_mse", 0.5) }, distill.Terms.Select(t => (t.Name, t.Weight)).ToArray());
        Assert.AreEqual(2.0, ((SegKlParameters)distill.Terms[1].Loss.Parameters).Temperature);
        Assert.AreEqual(1.0, ((DetMseParameters)distill.Terms[3].Loss.Parameters).Temperature);
        var labels = Objective.Build(RecipeTerms.Of(Recipe.Load(Path.Combine(RepoRoot.Dir, "recipes", "fmnist-scenes", "multitask-small.labels.json"))));
        CollectionAssert.AreEqual(new[] { ("seg_ce", 1.0), ("det_yolo", 1.0) }, labels.Terms.Select(t => (t.Name, t.Weight)).ToArray());
        Assert.IsFalse(labels.NeedsTeacher);
        CollectionAssert.AreEqual(new[] { "masks", "boxes" }, labels.DatasetTargets.ToArray());
    }
}
