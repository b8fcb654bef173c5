using Distill.Data;
using Distill.Student.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

/// <summary>Built-in taps: their shapes, and that they are the intermediate values of the same forward (worked by hand from the layers).</summary>
[TestClass]
public sealed class TapTests
{
    [TestMethod]
    public void BuiltInStudentsListTheirTapsWithShapes()
    {
        using var cnn = StudentRegistry.Create("cnn-small", new[] { 1, 28, 28 }, 10);
        CollectionAssert.AreEqual(new[] { "conv1 8,14,14", "conv2 16,5,5", "fc1 400", "logits 10" },
            StudentOutputs.Describe(cnn, new[] { 1, 28, 28 }).Select(t => $"{t.Name} {string.Join(",", t.Shape)}").ToArray());
        using var mlp = StudentRegistry.Create("mlp-20-20", new[] { 1, 28, 28 }, 10);
        CollectionAssert.AreEqual(new[] { "hidden1 20", "hidden2 20", "logits 10" },
            StudentOutputs.Describe(mlp, new[] { 1, 28, 28 }).Select(t => $"{t.Name} {string.Join(",", t.Shape)}").ToArray());
        using var resnet = StudentRegistry.Create("resnet20", new[] { 3, 32, 32 }, 10);
        CollectionAssert.AreEqual(new[] { "layer1 16,32,32", "layer2 32,16,16", "layer3 64,8,8", "pool 64", "logits 10" },
            StudentOutputs.Describe(resnet, new[] { 3, 32, 32 }).Select(t => $"{t.Name} {string.Join(",", t.Shape)}").ToArray());
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [TestMethod]
    public void TapsAreTheForwardsIntermediatesAndLogitsAreUnchanged()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var mlp = (Mlp)StudentRegistry.Create("mlp-20-20", new[] { 1, 28, 28 }, 10);
        var x = randn(4, 1, 28, 28);
        var outs = new StudentOutputs(mlp, new[] { "hidden1", "hidden2" }).Forward(x);
        // By hand from the state_dict: h1 = relu(x W0ᵀ + b0), h2 = relu(h1 W1ᵀ + b1), logits = h2 W2ᵀ + b2.
        var sd = mlp.state_dict();
        var h1 = nn.functional.relu(nn.functional.linear(x.flatten(1), sd["layers.fc0.weight"], sd["layers.fc0.bias"]));
        var h2 = nn.functional.relu(nn.functional.linear(h1, sd["layers.fc1.weight"], sd["layers.fc1.bias"]));
        var logits = nn.functional.linear(h2, sd["layers.fc2.weight"], sd["layers.fc2.bias"]);
        Assert.IsTrue(Same(outs["hidden1"], h1) && Same(outs["hidden2"], h2) && Same(outs["logits"], logits));
        Assert.IsTrue(Same(mlp.forward(x), logits), "forward() is the logits path");
        var cnn = StudentRegistry.Create("cnn-small", new[] { 1, 28, 28 }, 10);
        var c = new StudentOutputs(cnn, new[] { "fc1" }).Forward(x);
        var csd = cnn.state_dict();
        var fc1 = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(
            nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(x, csd["conv1.weight"], csd["conv1.bias"], padding: new long[] { 2, 2 })), 2),
            csd["conv2.weight"], csd["conv2.bias"])), 2).flatten(1);
        Assert.IsTrue(c["fc1"].allclose(fc1, rtol: 1e-6, atol: 1e-7));
        Assert.IsTrue(Same(c["logits"], cnn.forward(x)));
        var e = Assert.ThrowsExactly<DistillException>(() => new StudentOutputs(cnn, new[] { "hidden1" }));
        StringAssert.Contains(e.Message, "no tap 'hidden1' (its taps: conv1, conv2, fc1)");
    }
}
