using Distill.Data;
using Distill.Student.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static Distill.Student.Tests.Export.ExportFixture;

namespace Distill.Student.Tests.Export;

[TestClass]
public sealed class OnnxExportTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>BatchNorm with non-trivial statistics and affine parameters, so the exported graph really uses them.</summary>
    private static void RandomizeBatchNorm(nn.Module m)
    {
        using var _ = no_grad();
        foreach (var (_, sub) in m.named_modules())
            if (sub is BatchNorm2d bn)
            {
                bn.running_mean!.uniform_(-0.5, 0.5);
                bn.running_var!.uniform_(0.5, 2.0);
                bn.weight!.uniform_(0.5, 1.5);
                bn.bias!.uniform_(-0.2, 0.2);
            }
    }

    /// <summary>Exports, runs ORT and TorchSharp on the same images; asserts |diff| ≤ 1e-5, identical argmax and accuracy.</summary>
    private double CheckAgainstOrt(nn.Module<Tensor, Tensor> m, string name, int? images)
    {
        var (x, y, n) = Images(images);
        var dir = TempDir();
        var path = Path.Combine(dir, "student.onnx");
        OnnxExporter.Save(m, path, new OnnxExportOptions { SampleShape = Sample });
        var torchOut = TorchLogits(m, x, n);
        using var s = Session(path);
        var ortOut = OrtLogits(s, x, n);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < ortOut.Length; i++) { maxDiff = Math.Max(maxDiff, Math.Abs(ortOut[i] - torchOut[i])); maxAbs = Math.Max(maxAbs, Math.Abs(torchOut[i])); }
        var a = Argmax(torchOut); var b = Argmax(ortOut);
        double accT = a.Zip(y).Count(p => p.First == p.Second) / (double)n, accO = b.Zip(y).Count(p => p.First == p.Second) / (double)n;
        TestContext.WriteLine($"{name}: {n} test images, max |ORT - TorchSharp| = {maxDiff:E2} (max |logit| {maxAbs:F2}), accuracy {accT:F4} / {accO:F4}, {new FileInfo(path).Length} bytes");
        Console.WriteLine($"EXPORT-DIFF {name} n={n} maxdiff={maxDiff:E2} maxlogit={maxAbs:F2} acc={accT:F4}/{accO:F4}");
        Assert.IsTrue(maxDiff <= 1e-5, $"{name}: max |ORT - TorchSharp| = {maxDiff:E3} > 1e-5");
        CollectionAssert.AreEqual(a, b, $"{name}: argmax differs");
        Assert.AreEqual(accT, accO);
        Directory.Delete(dir, true);
        return maxDiff;
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow("mlp-20-20", null)]
    [DataRow("mlp-256-256", null)]
    [DataRow("cnn-small", null)]
    [DataRow("mlp:64,32,16", 2000)]
    [DataRow("resnet20", 500)]
    public void BuiltInStudentMatchesTorchSharpOnTheTestSplit(string name, int? images)
    {
        manual_seed(7);
        using var m = StudentRegistry.Create(name, Sample, 10);
        RandomizeBatchNorm(m);
        CheckAgainstOrt(m, name, images);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void BrieflyTrainedCnnMatches()
    {
        manual_seed(3);
        var (x, y, _) = Images(2000);
        using var m = StudentRegistry.Create("cnn-small", Sample, 10);
        var opt = optim.Adam(m.parameters(), 3e-3);
        m.train();
        for (int step = 0; step < 30; step++)
        {
            using var scope = NewDisposeScope();
            int s = step * 64 % 1936;
            var xb = tensor(x[(s * 784)..((s + 64) * 784)], new long[] { 64, 1, 28, 28 });
            var yb = tensor(y[s..(s + 64)].Select(v => (long)v).ToArray());
            opt.zero_grad();
            var loss = functional.cross_entropy(m.forward(xb), yb);
            loss.backward();
            opt.step();
        }
        CheckAgainstOrt(m, "cnn-small (30 Adam steps)", null);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void UserSequentialWithBatchNormAndPoolingMatches()
    {
        manual_seed(11);
        using var m = Sequential(
            ("conv", Conv2d(1, 6, 3, stride: 2, padding: 1)), ("bn", BatchNorm2d(6)), ("act", ReLU()),
            ("avg", AvgPool2d(2)), ("conv2", Conv2d(6, 8, 3, padding: 1, bias: false)), ("max", MaxPool2d(3, stride: 2, ceil_mode: true)),
            ("gap", AdaptiveAvgPool2d(1)), ("flat", Flatten()), ("drop", Dropout(0.3)), ("fc", Linear(8, 10)));
        RandomizeBatchNorm(m);
        CheckAgainstOrt(m, "user Sequential", 1000);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void GraphHasTheTeachersNamesOpsetAndADynamicBatchAxis()
    {
        manual_seed(1);
        using var m = StudentRegistry.Create("mlp-20-20", Sample, 10);
        var model = OnnxExporter.Build(m, new OnnxExportOptions { SampleShape = Sample });
        Assert.AreEqual(17, model.OpsetImport.Single().Version);
        Assert.AreEqual("input", model.Graph.Input.Single().Name);
        Assert.AreEqual("logits", model.Graph.Output.Single().Name);
        CollectionAssert.AreEqual(new[] { "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        CollectionAssert.AreEquivalent(m.state_dict().Keys.ToArray(), model.Graph.Initializer.Select(i => i.Name).ToArray());

        var dir = TempDir();
        var path = Path.Combine(dir, "m.onnx");
        OnnxExporter.Save(m, path, new OnnxExportOptions { SampleShape = Sample, InputName = "pixels", OutputName = "scores" });
        using var s = Session(path);
        CollectionAssert.AreEqual(new[] { -1, 1, 28, 28 }, s.InputMetadata["pixels"].Dimensions);
        CollectionAssert.AreEqual(new[] { -1, 10 }, s.OutputMetadata["scores"].Dimensions);
        Assert.AreEqual("batch", s.InputMetadata["pixels"].SymbolicDimensions[0]);
        foreach (var batch in new[] { 1, 7 })
        {
            var x = new float[batch * 784];
            Assert.AreEqual(batch * 10, OrtLogits(s, x, batch, input: "pixels", output: "scores").Length);
        }
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void UnsupportedLayerIsNamed()
    {
        using var m = Sequential(("flat", Flatten()), ("fc1", Linear(784, 32)), ("act", GELU()), ("fc2", Linear(32, 10)));
        var e = Assert.ThrowsExactly<DistillException>(() => OnnxExporter.Build(m, new OnnxExportOptions { SampleShape = Sample }));
        StringAssert.Contains(e.Message, "'act'");
        StringAssert.Contains(e.Message, "GELU");
    }

    [TestMethod]
    public void UnsupportedLayerInsideACustomModuleIsNamed()
    {
        using var m = new Custom();
        var e = Assert.ThrowsExactly<DistillException>(() => OnnxExporter.Build(m, new OnnxExportOptions { SampleShape = Sample }));
        StringAssert.Contains(e.Message, "'body.norm'");
        StringAssert.Contains(e.Message, "LayerNorm");
    }

    [TestMethod]
    public void LinearOnAnImageAsksForFlatten()
    {
        using var m = Sequential(("fc", Linear(28, 10)));
        var e = Assert.ThrowsExactly<DistillException>(() => OnnxExporter.Build(m, new OnnxExportOptions { SampleShape = Sample }));
        StringAssert.Contains(e.Message, "Flatten");
    }

    [TestMethod]
    public void ACustomForwardThatChainsSupportedLayersIsExported()
    {
        manual_seed(3);
        using var m = new Chained(functionalRelu: false);
        m.eval();
        CheckAgainstOrt(m, "custom chained forward", 500);
    }

    [TestMethod]
    public void ACustomForwardWithFunctionalOperationsIsRefusedInOneLine()
    {
        using var m = new Chained(functionalRelu: true);
        var e = Assert.ThrowsExactly<DistillException>(() => OnnxExporter.Build(m, new OnnxExportOptions { SampleShape = Sample }));
        StringAssert.Contains(e.Message, "its own forward() does more than call its layers one after another");
        Assert.IsFalse(e.Message.Contains('\n'));
    }

    /// <summary>conv → ReLU → pool, flattened with a reshape (not a layer), then a linear head; optionally a functional relu in between.</summary>
    private sealed class Chained : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv = Conv2d(1, 4, 3, padding: 1);
        private readonly ReLU act = ReLU();
        private readonly MaxPool2d pool = MaxPool2d(2);
        private readonly TorchSharp.Modules.Linear head = Linear(4 * 14 * 14, 10);
        private readonly bool _functionalRelu;
        public Chained(bool functionalRelu) : base("Chained") { _functionalRelu = functionalRelu; RegisterComponents(); }
        public override Tensor forward(Tensor x)
        {
            var h = pool.call(act.call(conv.call(x))).reshape(x.shape[0], -1);
            return head.call(_functionalRelu ? functional.relu(h - 0.1) : h);
        }
    }

    private sealed class Custom : Module<Tensor, Tensor>
    {
        private readonly Sequential body = Sequential(("flat", Flatten()), ("fc", Linear(784, 16)), ("norm", LayerNorm(16)));
        public Custom() : base("Custom") => RegisterComponents();
        public override Tensor forward(Tensor x) => body.forward(x);
    }
}
