using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Data.Scenes;
using Distill.Student.Export;
using Distill.Student.Students;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Multitask;

/// <summary>
/// The generic export of a two-head student: student.onnx has the outputs seg and det (the teacher's names), which ONNX
/// Runtime computes as TorchSharp does on scene canvases; student.json carries each output's shape, the detection head's
/// grid and the anchors, and reads back (as a card) to the same heads.
/// </summary>
[TestClass]
public sealed class MultitaskExportTests
{
    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator
    public void OnnxRuntimeComputesBothHeadsAsTorchSharpAndTheCardCarriesTheLayout()
    {
        manual_seed(11);
        using var m = (LayerStudent)StudentRegistry.Create("multitask-small", new[] { 1, 64, 64 }, 11, ScenesFixture.Heads);
        // A few steps of training, so weights and batch-norm statistics are not their initial values.
        using (var opt = optim.Adam(m.parameters(), 0.01))
            for (int i = 0; i < 5; i++)
            {
                using var step = NewDisposeScope();
                var o = m.ForwardTaps(randn(8, 1, 64, 64), Array.Empty<string>());
                var loss = o["seg"].square().mean() + (o["det"] - 1).square().mean();
                opt.zero_grad(); loss.backward(); opt.step();
            }
        m.eval();

        string dir = TempFolder.Create("distill-student-tests");
        SceneWriter.Write(Path.Combine(dir, "scenes"), 14, new[] { new SceneWriter.Split("test", DatasetCatalog.Open("fashion-mnist", "test"), 5) },
            SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        var data = DatasetCatalog.Open("yolo:" + Path.Combine(dir, "scenes"), "test");
        var meta = ScenesFixture.Metadata();
        var x = new float[5 * 4096];
        data.ReadSamples(0, 5, x);
        meta.Preprocessing.Apply(x, 1);

        var exported = StudentExport.WriteAll(m, "multitask-small", StudentExportSpec.FromCache(meta), Path.Combine(dir, "run"));
        using var scope = NewDisposeScope();
        var torchOut = m.ForwardTaps(tensor(x, new long[] { 5, 1, 64, 64 }), Array.Empty<string>());
        using var session = new InferenceSession(exported.OnnxPath);
        CollectionAssert.AreEqual(new[] { "seg", "det" }, session.OutputNames.ToArray());
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { 5, 1, 64, 64 });
        using var ro = new RunOptions();
        using var results = session.Run(ro, new[] { "input" }, new[] { input }, session.OutputNames);
        for (int i = 0; i < 2; i++)
        {
            string name = session.OutputNames[i];
            var ort = results[i].GetTensorDataAsSpan<float>().ToArray();
            var expected = torchOut[name].contiguous().data<float>().ToArray();
            CollectionAssert.AreEqual(torchOut[name].shape, results[i].GetTensorTypeAndShape().Shape, name);
            double scale = expected.Max(Math.Abs), maxDiff = ort.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsLessThanOrEqualTo(1e-5 * Math.Max(1, scale), maxDiff, $"{name}: max |ORT − TorchSharp| {maxDiff:E2} (max |x| {scale:F2})");
        }

        var card = JsonNode.Parse(File.ReadAllText(exported.CardPath))!;
        Assert.AreEqual("[\"batch\",11,16,16]", card["outputs"]!["seg"]!["shape"]!.ToJsonString());
        Assert.AreEqual("[\"batch\",192,15]", card["outputs"]!["det"]!["shape"]!.ToJsonString());
        Assert.AreEqual("[8,8]", card["outputs"]!["det"]!["grid"]!.ToJsonString());
        Assert.AreEqual("[[14,21],[24,14],[26,31]]", card["anchors"]!.ToJsonString());
        Assert.IsNull(card["output"], "no single classifier output");
        var back = DenseHeads.FromCard(exported.CardPath, new[] { 1, 64, 64 })!;
        Assert.AreEqual(ScenesFixture.Heads.ToString(), back.ToString());
        CollectionAssert.AreEqual(ScenesFixture.Heads.Detection!.Anchors.ToArray(), back.Detection!.Anchors.ToArray());
        // Export from the run's card alone (train-student export --run DIR) rebuilds the same student.
        var spec = StudentExportSpec.FromTeacherCard(exported.CardPath);
        using var again = StudentRegistry.Create("multitask-small", spec.SampleShape, spec.ClassCount, spec.Heads);
        CollectionAssert.AreEqual(m.state_dict().Keys.ToArray(), again.state_dict().Keys.ToArray());
    }
}
