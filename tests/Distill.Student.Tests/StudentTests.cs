using Distill.Data;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

[TestClass]
public sealed class StudentTests
{
    private static long Params(nn.Module m) => m.parameters().Sum(p => p.numel());

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow("mlp-20-20", 16330L)]      // 784·20+20 + 20·20+20 + 20·10+10
    [DataRow("mlp-256-256", 269322L)]   // 784·256+256 + 256·256+256 + 256·10+10
    [DataRow("cnn-small", 7434L)]       // 8·25+8 + 16·8·25+16 + 400·10+10
    [DataRow("mlp:64", 50890L)]         // 784·64+64 + 64·10+10
    public void ReferenceStudentsHaveTheReferenceShapes(string name, long parameters)
    {
        manual_seed(1);
        using var m = StudentRegistry.Create(name, new[] { 1, 28, 28 }, 10);
        Assert.AreEqual(parameters, Params(m));
        using var x = randn(3, 1, 28, 28);
        using var y = m.forward(x);
        CollectionAssert.AreEqual(new long[] { 3, 10 }, y.shape);
    }

    [TestMethod]
    public void ResNetTakes32x32Images()
    {
        using var m = StudentRegistry.Create("resnet20", new[] { 3, 32, 32 }, 100);
        using var x = randn(2, 3, 32, 32);
        using var y = m.forward(x);
        CollectionAssert.AreEqual(new long[] { 2, 100 }, y.shape);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator twice: a test running beside it must not draw from it in between
    public void SameSeedSameWeights()
    {
        manual_seed(5); using var a = StudentRegistry.Create("mlp-20-20", new[] { 1, 28, 28 }, 10);
        manual_seed(5); using var b = StudentRegistry.Create("mlp-20-20", new[] { 1, 28, 28 }, 10);
        foreach (var (p, q) in a.parameters().Zip(b.parameters())) Assert.IsTrue(p.allclose(q, 0, 0));
    }

    [TestMethod]
    public void BadNamesAreOneLineErrors()
    {
        var e = Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("mlp-9", new[] { 1, 28, 28 }, 10));
        StringAssert.Contains(e.Message, "unknown student 'mlp-9'");
        Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("mlp:12,x", new[] { 1, 28, 28 }, 10));
        Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("cnn-small", new[] { 32 }, 10));
    }
}
