using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

[TestClass]
public sealed class TorchSharpLoadTests
{
    // Fails when the build's GLIBCXX fix (src/Distill.Student/buildTransitive/Distill.Student.targets) did not run: the native bridge would not load.
    [TestMethod]
    public void NativeBridgeLoadsAndComputes()
    {
        using var a = tensor(new double[] { 1, 2, 3 });
        using var s = a.sum();
        Assert.AreEqual(6.0, s.item<double>());
    }
}
