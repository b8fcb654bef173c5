namespace Distill.Teacher.Tests;

/// <summary>
/// `precompute-logits layers`: every tensor of the graph in graph order with its type and per-sample shape. The
/// expected shapes are worked out by hand from the architectures (models/fmnist-resnet/fmnist-resnet.json, the
/// fixture nets in fixtures/make_scale_fixtures.py).
/// </summary>
[TestClass]
public sealed class TeacherLayersTests
{
    private static string Row(TeacherLayers l, string name)
    {
        var t = l.Tensors.Single(x => x.Tensor.Name == name);
        return $"{t.Tensor.OpType} {t.Probe.ElementType} [{string.Join(",", t.Probe.SampleShape ?? Array.Empty<int>())}]{(t.Probe.SampleShape == null ? " no batch axis" : "")}{(t.IsGraphOutput ? " output" : "")}";
    }

    [TestMethod]
    public void DefaultTeacherListsItsBlocksPooledFeaturesAndLogits()
    {
        // 3x3 stem (32) on 28x28, stages of 32/64/128 channels at stride 1/2/2, global average pool, linear 128 -> 10.
        var l = TeacherLayers.List(TestPaths.FmnistTeacher, null, null);
        Assert.AreEqual("input", l.InputName);
        CollectionAssert.AreEqual(new long[] { -1, 1, 28, 28 }, l.InputShape);
        Assert.IsNull(l.FixedBatch);
        Assert.HasCount(37, l.Tensors);
        Assert.AreEqual("/stem/stem.0/Conv_output_0", l.Tensors[0].Tensor.Name);
        Assert.AreEqual("Conv float32 [32,28,28]", Row(l, "/stem/stem.0/Conv_output_0"));
        Assert.AreEqual("Relu float32 [32,28,28]", Row(l, "/l1/l1.1/Relu_1_output_0"));
        Assert.AreEqual("Conv float32 [64,14,14]", Row(l, "/l2/l2.0/sc/sc.0/Conv_output_0"));
        Assert.AreEqual("Relu float32 [128,7,7]", Row(l, "/l3/l3.1/Relu_1_output_0"));
        Assert.AreEqual("GlobalAveragePool float32 [128,1,1]", Row(l, "/GlobalAveragePool_output_0"));
        Assert.AreEqual("Flatten float32 [128]", Row(l, "/Flatten_output_0"));
        Assert.AreEqual("Gemm float32 [10] output", Row(l, "logits"));
        CollectionAssert.AreEqual(new[] { "/l3/l3.1/Relu_1_output_0", "/GlobalAveragePool_output_0", "/Flatten_output_0", "logits" },
            l.Tensors.TakeLast(4).Select(t => t.Tensor.Name).ToArray(), "graph order");
        Assert.IsTrue(l.Tensors.All(t => t.CanCache));
    }

    [TestMethod]
    public void ShapeTensorsHaveNoBatchAxisEvenWhenTheirLengthEqualsAProbeBatch()
    {
        // /Concat_output_0 is [batch, -1] as int64 values: shape [2] for every batch, so it is no per-sample tensor.
        var l = TeacherLayers.List(TestPaths.Fixture("inner-a.onnx"), new[] { 1, 4, 4 }, null);
        Assert.HasCount(13, l.Tensors);
        Assert.AreEqual("Shape int64 [] no batch axis", Row(l, "/Shape_output_0"));
        Assert.AreEqual("Concat int64 [] no batch axis", Row(l, "/Concat_output_0"));
        CollectionAssert.AreEqual(new long[] { 2 }, l.Tensors.Single(t => t.Tensor.Name == "/Concat_output_0").Probe.Shape);
        Assert.AreEqual("Relu float32 [4,4,4]", Row(l, "/Relu_output_0"));
        Assert.AreEqual("Reshape float32 [64]", Row(l, "/Reshape_output_0"));
        Assert.AreEqual("Relu float32 [8]", Row(l, "/Relu_1_output_0"));
        Assert.AreEqual("Gemm float32 [3] output", Row(l, "logits"));
        CollectionAssert.AreEqual(new[] { "/conv/Conv_output_0", "/Relu_output_0", "/Reshape_output_0", "/features/Gemm_output_0", "/Relu_1_output_0", "logits" },
            l.Tensors.Where(t => t.CanCache).Select(t => t.Tensor.Name).ToArray());
    }

    [TestMethod]
    public void FixedBatchTeacherIsProbedAtItsBatch()
    {
        var l = TeacherLayers.List(TestPaths.Fixture("inner-fixed4.onnx"), null, null);
        Assert.AreEqual(4, l.FixedBatch);
        Assert.AreEqual("Relu float32 [8]", Row(l, "/Relu_1_output_0"));
        Assert.AreEqual("Constant int64 [] no batch axis", Row(l, "/Constant_output_0"));
    }

    [TestMethod]
    public void ToolPrintsTheTableAndAnExampleAndRefusesUnknownNamesInOneLine()
    {
        var r = ToolRunner.Run("precompute-logits", new[] { "layers", TestPaths.FmnistTeacher }, timeoutSeconds: 120);
        Assert.AreEqual(0, r.Code, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("fmnist-resnet.onnx: input 'input' [N, 1, 28, 28]; 37 tensors in graph order, shapes per sample", lines[0]);
        var cells = lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        CollectionAssert.AreEqual(new[] { "36", "/Flatten_output_0", "Flatten", "float32", "[128]" }, cells.Single(c => c[1] == "/Flatten_output_0"));
        CollectionAssert.AreEqual(new[] { "34", "/l3/l3.1/Relu_1_output_0", "Relu", "float32", "[128,", "7,", "7]" },
            cells.Single(c => c[1] == "/l3/l3.1/Relu_1_output_0"));
        CollectionAssert.AreEqual(new[] { "37", "logits", "Gemm", "float32", "[10]", "graph", "output" }, cells.Single(c => c[1] == "logits"));
        Assert.AreEqual("e.g. precompute-logits --teacher fmnist-resnet.onnx --output logits --output /Flatten_output_0 ...", lines[^1]);

        var help = ToolRunner.Run("precompute-logits", new[] { "layers", "--help" }, timeoutSeconds: 60);
        StringAssert.Contains(help.Stdout, "Examples:\n    precompute-logits layers models/fmnist-resnet/fmnist-resnet.onnx");

        var dir = TestPaths.TempDir();
        var bad = ToolRunner.Run("precompute-logits", new[] { "--teacher", TestPaths.FmnistTeacher, "--dataset", "fashion-mnist", "--split", "test",
            "--output", "logits", "--output", "Flatten", "--out", Path.Combine(dir, "c"), "--device", "cpu" }, timeoutSeconds: 120);
        Assert.AreEqual(1, bad.Code);
        Assert.AreEqual("error: teacher fmnist-resnet.onnx has no output or inner tensor 'Flatten' (close: /Flatten_output_0; " +
                        "outputs: logits [N,10]; all 37 tensors: precompute-logits layers fmnist-resnet.onnx)", bad.ErrorLines.Single());
    }
}
