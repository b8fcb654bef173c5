using System.Runtime.InteropServices;
using Distill.Student.Export;
using static TorchSharp.torch;
using static Distill.Student.Tests.Export.ExportFixture;

namespace Distill.Student.Tests.Export;

/// <summary>
/// With DISTILL_EXPORT_CHECK_DIR set, writes DIR/NAME/student.{onnx,json,safetensors} and DIR/NAME/ort-logits.f32
/// (ONNX Runtime, first 1,000 Fashion-MNIST test images) for bench/export/check_safetensors.py. Otherwise a no-op.
/// </summary>
[TestClass]
public sealed class PyTorchCheckDump
{
    [TestMethod]
    [DataRow("mlp-256-256")]
    [DataRow("cnn-small")]
    [DataRow("resnet20")]
    public void DumpForPyTorch(string name)
    {
        var root = Environment.GetEnvironmentVariable("DISTILL_EXPORT_CHECK_DIR");
        if (string.IsNullOrEmpty(root)) return;
        manual_seed(9);
        using var m = StudentRegistry.Create(name, Sample, 10);
        // DISTILL_EXPORT_WEIGHTS=NAME=FILE: export trained weights instead of random ones (e.g. the docs/ demo student).
        if (Environment.GetEnvironmentVariable("DISTILL_EXPORT_WEIGHTS") is { } w && w.StartsWith(name + "=", StringComparison.Ordinal))
            m.load(w[(name.Length + 1)..]);
        var dir = Path.Combine(root, name.Replace(':', '_'));
        var r = StudentExport.WriteAll(m, name, StudentExportSpec.FromTeacherCard(TeacherCardPath), dir);
        var (x, _, n) = Images(1000);
        using var s = Session(r.OnnxPath);
        File.WriteAllBytes(Path.Combine(dir, "ort-logits.f32"), MemoryMarshal.AsBytes(OrtLogits(s, x, n).AsSpan()).ToArray());
    }
}
