using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

[TestClass]
public sealed class ScheduleAndRecipeTests
{
    [TestMethod]
    public void Schedules()
    {
        var r = new Recipe { Lr = 0.1, Epochs = 10 };
        Assert.AreEqual(0.1, Training.Schedules.LearningRate(r, 57, 10), 1e-12);
        var w = r with { LrWarmup = 1 };
        Assert.AreEqual(0.01, Training.Schedules.LearningRate(w, 0, 10), 1e-12);
        Assert.AreEqual(0.1, Training.Schedules.LearningRate(w, 9, 10), 1e-12);
        var s = r with { Schedule = "step", StepEpochs = 3, LrDecay = 0.5 };
        Assert.AreEqual(0.1, Training.Schedules.LearningRate(s, 29, 10), 1e-12);
        Assert.AreEqual(0.05, Training.Schedules.LearningRate(s, 30, 10), 1e-12);
        var c = r with { Schedule = "cosine" };
        Assert.AreEqual(0.1, Training.Schedules.LearningRate(c, 0, 10), 1e-12);
        Assert.AreEqual(0.05, Training.Schedules.LearningRate(c, 50, 10), 1e-12);
        Assert.IsTrue(Training.Schedules.LearningRate(c, 99, 10) < 1e-4);
        var o = r with { Schedule = "one-cycle" };
        Assert.AreEqual(0.004, Training.Schedules.LearningRate(o, 0, 10), 1e-9);
        double peak = Enumerable.Range(0, 100).Max(i => Training.Schedules.LearningRate(o, i, 10));
        Assert.AreEqual(0.1, peak, 2e-3);
        Assert.IsTrue(Training.Schedules.LearningRate(o, 99, 10) < 1e-5);
    }

    [TestMethod]
    public void RecipeRoundTripsAndRejectsUnknownFields()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "r.json");
        var r = new Recipe { Student = "cnn-small", Loss = "dkd", Warmup = 5, CeWeight = 1, Schedule = "cosine", Seed = 3 };
        File.WriteAllText(path, r.ToJson());
        Assert.AreEqual(r, Recipe.Load(path));
        StringAssert.Contains(r.ToJson(), "\"ce_weight\"");
        File.WriteAllText(path, "{ \"student\": \"mlp-20-20\", \"lerning_rate\": 1 }");
        var e = Assert.ThrowsExactly<DistillException>(() => Recipe.Load(path));
        StringAssert.Contains(e.Message, "lerning_rate");
        Assert.ThrowsExactly<DistillException>(() => (r with { Optimizer = "adagrad" }).Validate());
        Assert.ThrowsExactly<DistillException>(() => (r with { Batch = 0 }).Validate());
    }

    [TestMethod]
    public void RecipeKeysAndTypesAreNamedAndItsTeacherPathIsRelativeToTheRecipe()
    {
        using var dir = new TempDir();
        var sub = Directory.CreateDirectory(Path.Combine(dir.Path, "recipes")).FullName;
        var path = Path.Combine(sub, "r.json");
        File.WriteAllText(path, "{ \"student\": \"mlp-20-20\", \"teacher\": \"../models/t.onnx\" }");
        Assert.AreEqual(Path.Combine(dir.Path, "models", "t.onnx"), Recipe.Load(path).Teacher);
        var sha = new string('a', 64);
        File.WriteAllText(path, $"{{ \"teacher\": \"{sha}\" }}");
        Assert.AreEqual(sha, Recipe.Load(path).Teacher, "a SHA-256 is not a path");
        File.WriteAllText(path, "{ \"colour\": 1 }");
        var unknown = Assert.ThrowsExactly<DistillException>(() => Recipe.Load(path)).Message;
        Assert.AreEqual($"{path}: unknown key 'colour' (valid keys: {string.Join(", ", Recipe.Keys)})", unknown);
        CollectionAssert.IsSubsetOf(new[] { "student", "epochs", "val_fraction", "early_stop", "limit", "teacher" }, Recipe.Keys.ToList());
        File.WriteAllText(path, "{ \"epochs\": \"ten\" }");
        Assert.AreEqual($"{path}: 'epochs' has the wrong type (expected an integer)", Assert.ThrowsExactly<DistillException>(() => Recipe.Load(path)).Message);
    }

    [TestMethod]
    public void ShippedRecipesLoad()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "recipes");
        Assert.IsTrue(Directory.Exists(dir), $"{dir}: the project copies recipes/ beside the tests");
        var files = Directory.GetFiles(dir, "*.json", SearchOption.AllDirectories);
        Assert.IsTrue(files.Length >= 12);
        foreach (var f in files) Recipe.Load(f).Validate();
    }
}
