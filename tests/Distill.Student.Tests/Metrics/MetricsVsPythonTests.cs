using System.Text.Json;
using Distill.Data;
using Distill.Data.Scenes;
using Distill.Student.Metrics;

namespace Distill.Student.Tests.Metrics;

/// <summary>
/// The C# metrics against models/fmnist-scenes/scenes_metrics.py on the same teacher outputs: PyTorch's seg and det on
/// the first 32 test canvases and Python's mIoU and mAP@0.5 of them (tests/Shared/fmnist-scenes, make_fixtures.py).
/// The canvases are generated here with the generator's seed 14, as the teacher's data was.
/// </summary>
[TestClass]
public sealed class MetricsVsPythonTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fmnist-scenes", name);

    private static float[] Npy(string name, out int count)
    {
        var d = DatasetCatalog.Open("npy:" + Fixture(name), "train");
        count = d.Count;
        var values = new float[d.Count * d.SampleSize()];
        d.ReadSamples(0, d.Count, values);
        return values;
    }

    [TestMethod]
    public void MIoUAndMapEqualThePythonImplementation()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture("metrics.json")));
        var e = expected.RootElement;
        var seg = Npy("seg.npy", out int n);
        var det = Npy("det.npy", out int n2);
        Assert.AreEqual(n, n2);
        Assert.AreEqual(e.GetProperty("canvases").GetInt32(), n);

        string dir = Path.Combine(TempFolder.Create("distill-student-tests"), "scenes");
        SceneWriter.Write(dir, 14, new[] { new SceneWriter.Split("test", DatasetCatalog.Open("fashion-mnist", "test"), n) },
            SceneWriter.FashionMnistClasses, overwrite: false, threads: 2);
        var data = (IDenseTargets)DatasetCatalog.Open("yolo:" + dir, "test");
        var layout = YoloHeadLayout.FromCard(Path.Combine(RepoRoot.Dir, "models", "fmnist-scenes", "fmnist-scenes.json"));
        var options = new DetectionOptions(e.GetProperty("conf_threshold").GetDouble(), e.GetProperty("nms_iou").GetDouble(), e.GetProperty("match_iou").GetDouble());
        Assert.AreEqual(DetectionOptions.Default, options, "the card's metrics use the defaults");

        var r = DenseMetrics.Evaluate(data, 0, n, seg, 16, 16, det, layout, options);

        static double?[] Values(JsonElement a) => a.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray();
        var iou = Values(e.GetProperty("iou_per_class"));
        var ap = Values(e.GetProperty("ap_per_class"));
        Assert.HasCount(11, r.Segmentation!.PerClass);
        for (int c = 0; c < 11; c++) AssertClose(iou[c], r.Segmentation.PerClass[c], 1e-12, $"IoU of class {c}");
        Assert.AreEqual(e.GetProperty("miou").GetDouble(), r.Segmentation.MeanIou!.Value, 1e-12, "mIoU");
        int detections = Enumerable.Range(0, n).Sum(i => DenseMetrics.Detect(det.AsSpan(i * layout.Rows * layout.RowSize, layout.Rows * layout.RowSize), layout, options).Count);
        Assert.AreEqual(e.GetProperty("detections").GetInt32(), detections, "detections after threshold and NMS");
        for (int c = 0; c < 10; c++) AssertClose(ap[c], r.Detection!.PerClass[c], 1e-9, $"AP of class {c}");
        Assert.AreEqual(e.GetProperty("map50").GetDouble(), r.Detection!.Map!.Value, 1e-9, "mAP@0.5");
    }

    private static void AssertClose(double? expected, double? actual, double tolerance, string what)
    {
        Assert.AreEqual(expected is null, actual is null, what + " defined");
        if (expected is double x) Assert.AreEqual(x, actual!.Value, tolerance, what);
    }
}
