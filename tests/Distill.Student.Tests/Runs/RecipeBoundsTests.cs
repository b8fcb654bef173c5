using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

/// <summary>Recipe.Validate: every non-loss field refused out of its bounds with one line naming its flag; the bounds themselves pass.</summary>
[TestClass]
public sealed class RecipeBoundsTests
{
    public static IEnumerable<object[]> OutOfBounds() => new (string Name, Recipe Recipe, string Error)[]
    {
        ("no student", new Recipe { Student = null! }, "--student must name a student"),
        ("blank loss", new Recipe { Loss = " " }, "--loss must name a loss"),
        ("batch 0", new Recipe { Batch = 0 }, "--batch must be ≥ 1"),
        ("batch 65537", new Recipe { Batch = 65537 }, "--batch must be ≤ 65536"),
        ("epochs 100001", new Recipe { Epochs = 100_001 }, "--epochs must be ≤ 100000"),
        ("seed -1", new Recipe { Seed = -1 }, "--seed must be ≥ 0"),
        ("lr 1e308", new Recipe { Lr = 1e308 }, "--lr must be ≤ 10"),
        ("lr +inf", new Recipe { Lr = double.PositiveInfinity }, "--lr must be ≤ 10"),
        ("lr NaN", new Recipe { Lr = double.NaN }, "--lr must be > 0"),
        ("weight decay 2", new Recipe { WeightDecay = 2 }, "--weight-decay must be in [0, 1]"),
        ("momentum 1", new Recipe { Momentum = 1 }, "--momentum must be in [0, 1)"),
        ("nesterov without momentum", new Recipe { Optimizer = "sgd", Nesterov = true, Momentum = 0 }, "--nesterov needs --momentum > 0"),
        // Loss parameters are the loss's own to check (its parameter record), named by loss and parameter.
        ("temperature NaN", new Recipe { Temperature = double.NaN }, "--temperature must be a finite number, got NaN"),
        ("temperature 0", new Recipe { Temperature = 0 }, "loss 'kd': temperature must be a positive number, got 0"),
        ("alpha -1", new Recipe { Loss = "dkd", Alpha = -1 }, "loss 'dkd': alpha must be a finite number ≥ 0, got -1"),
        ("beta +inf", new Recipe { Loss = "dkd", Beta = double.PositiveInfinity }, "--beta must be a finite number, got Infinity"),
        ("gamma NaN", new Recipe { Loss = "dist", Gamma = double.NaN }, "--gamma must be a finite number, got NaN"),
        ("gamma -2", new Recipe { Loss = "dist", Gamma = -2 }, "loss 'dist': gamma must be a finite number ≥ 0, got -2"),
        ("lr warmup beyond the epochs", new Recipe { Epochs = 3, LrWarmup = 3.5 }, "--lr-warmup must be ≤ --epochs (3)"),
        ("lr decay 0", new Recipe { LrDecay = 0 }, "--lr-decay must be in (0, 1]"),
        ("lr decay -0.5", new Recipe { LrDecay = -0.5 }, "--lr-decay must be in (0, 1]"),
        ("lr decay 1.5", new Recipe { LrDecay = 1.5 }, "--lr-decay must be in (0, 1]"),
        ("memory budget 2 TiB", new Recipe { MemoryBudgetMb = 2 << 20 }, "--memory-budget-mb must be ≤ 1048576 (1 TiB)"),
        ("no optimizer", new Recipe { Optimizer = null! }, "--optimizer '' is not one of adam, adamw, sgd"),
    }.Select(c => new object[] { c.Name, c.Recipe, c.Error });

    [TestMethod]
    [DynamicData(nameof(OutOfBounds))]
    public void IsRefusedNamingTheFlag(string name, Recipe recipe, string error)
    {
        var e = Assert.ThrowsExactly<DistillException>(() => recipe.Validate(), name);
        Assert.AreEqual(error, e.Message, name);
    }

    [TestMethod]
    public void TheBoundsThemselvesAreAccepted()
    {
        new Recipe { Batch = 65536, Epochs = 100_000, Seed = 0, Lr = 10, WeightDecay = 1, Momentum = 0.999,
            LrWarmup = 100_000, LrDecay = 1, MemoryBudgetMb = 1 << 20 }.Validate();
        new Recipe { Optimizer = "sgd", Nesterov = true, Momentum = 0.9, LrDecay = double.Epsilon, MemoryBudgetMb = 16 }.Validate();
    }
}
