using Distill.Data;
using Distill.Student.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

/// <summary>A user's module is run once on one zero sample before training and refused with one line when it does not fit.</summary>
[TestClass]
public sealed class StudentShapeCheckTests
{
    private sealed class LinearStudent : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc;
        public LinearStudent(int inputs, int outputs) : base("mine") { fc = nn.Linear(inputs, outputs); RegisterComponents(); }
        public override Tensor forward(Tensor x) => fc.forward(x);
    }

    private static readonly Recipe R = new() { Loss = "kd", Epochs = 1, Batch = 32, MemoryBudgetMb = 16, Device = "cpu" };

    private static async Task<DistillException> Refused(nn.Module<Tensor, Tensor> student)
    {
        using var dir = new TempDir();
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path), null);
        var run = Path.Combine(dir.Path, "run");
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Distiller.TrainAsync(student, data, R, outDir: run));
        Assert.IsFalse(Directory.Exists(run), "refused before any training output");
        Assert.IsFalse(e.Message.Contains('\n'), $"one line: {e.Message}");
        return e;
    }

    [TestMethod]
    public async Task StudentWithTheWrongOutputSizeIsRefusedBeforeTraining()
    {
        var e = await Refused(new LinearStudent(TinyNpyCache.Features, 7));
        Assert.AreEqual("the student outputs [1, 7] for one sample; the cache has 3 classes (expected [1, 3])", e.Message);
    }

    [TestMethod]
    public async Task StudentForAnotherInputShapeIsRefusedNamingTheSampleShape()
    {
        var e = await Refused(new LinearStudent(16, TinyNpyCache.Classes));
        StringAssert.StartsWith(e.Message, "the student fails on one sample of the dataset, input [1, 4]: ");
        StringAssert.Contains(e.Message, "1x4 and 16x3");   // libtorch's own words, first line only
    }

    [TestMethod]
    public void MatchingStudentPassesAndKeepsItsMode()
    {
        using var student = new LinearStudent(TinyNpyCache.Features, TinyNpyCache.Classes);
        student.train();
        StudentShapeCheck.Verify(student, new[] { TinyNpyCache.Features }, TinyNpyCache.Classes, CPU);
        Assert.IsTrue(student.training, "training mode restored");
        student.eval();
        StudentShapeCheck.Verify(student, new[] { TinyNpyCache.Features }, TinyNpyCache.Classes, CPU);
        Assert.IsFalse(student.training, "eval mode restored");
        Assert.IsTrue(student.parameters().All(p => p.grad is null), "the probe runs without gradients");
    }

    [TestMethod]
    public void EveryBuiltInStudentPassesForItsOwnShape()
    {
        foreach (var (name, shape) in new[] { ("mlp-20-20", new[] { 1, 28, 28 }), ("cnn-small", new[] { 1, 28, 28 }), ("resnet20", new[] { 3, 32, 32 }) })
        {
            using var student = StudentRegistry.Create(name, shape, 10);
            StudentShapeCheck.Verify(student, shape, 10, CPU);
        }
    }
}
