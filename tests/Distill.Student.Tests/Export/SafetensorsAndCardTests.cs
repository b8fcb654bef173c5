using System.Buffers.Binary;
using Distill.Data;
using Distill.Student.Export;
using static TorchSharp.torch;
using static Distill.Student.Tests.Export.ExportFixture;

namespace Distill.Student.Tests.Export;

[TestClass]
public sealed class SafetensorsAndCardTests
{
    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow("mlp-20-20")]
    [DataRow("cnn-small")]
    [DataRow("resnet20")]
    public void HeaderOffsetsAndBytesAreValid(string name)
    {
        manual_seed(2);
        using var m = StudentRegistry.Create(name, Sample, 10);
        var dir = TempDir();
        var path = Path.Combine(dir, "w.safetensors");
        SafetensorsWriter.Write(path, m, new Dictionary<string, string> { ["format"] = "pt" });

        var bytes = File.ReadAllBytes(path);
        var headerLen = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
        var (tensors, meta, start) = SafetensorsHeader.Read(path);
        Assert.AreEqual(8 + headerLen, start);
        Assert.AreEqual("pt", meta["format"]);
        var state = m.state_dict();
        CollectionAssert.AreEqual(state.Keys.ToArray(), tensors.Select(t => t.Name).ToArray());
        long expect = 0;
        foreach (var t in tensors)
        {
            Assert.AreEqual(expect, t.Begin, $"{t.Name}: offsets must be contiguous");
            var src = state[t.Name];
            CollectionAssert.AreEqual(src.shape, t.Shape);
            Assert.AreEqual(src.dtype == ScalarType.Int64 ? "I64" : "F32", t.Dtype);
            CollectionAssert.AreEqual(src.contiguous().bytes.ToArray(), bytes[(int)(start + t.Begin)..(int)(start + t.End)], t.Name);
            expect = t.End;
        }
        Assert.AreEqual(bytes.LongLength, start + expect, "no bytes after the last tensor");
        if (name == "resnet20") Assert.IsTrue(tensors.Any(t => t.Name == "bn.num_batches_tracked" && t.Dtype == "I64"));
        if (name.StartsWith("mlp")) Assert.AreEqual("layers.fc0.weight", tensors[0].Name);
        Directory.Delete(dir, true);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public void WriteAllWritesOnnxSafetensorsAndATeacherStyleCard()
    {
        manual_seed(4);
        using var m = StudentRegistry.Create("mlp-20-20", Sample, 10);
        var spec = StudentExportSpec.FromTeacherCard(TeacherCardPath) with { TestAccuracy = 0.8512 };
        CollectionAssert.AreEqual(Sample, spec.SampleShape);
        var dir = TempDir();
        var r = StudentExport.WriteAll(m, "mlp-20-20", spec, dir);
        Assert.AreEqual(16330, r.Parameters);
        foreach (var f in new[] { "student.onnx", "student.json", "student.safetensors" }) Assert.IsTrue(File.Exists(Path.Combine(dir, f)), f);

        var card = Distill.Data.TeacherCard.Load(r.CardPath);
        var teacher = Distill.Data.TeacherCard.Load(TeacherCardPath);
        Assert.AreEqual(teacher.InputName, card.InputName);
        Assert.AreEqual(teacher.OutputName, card.OutputName);
        CollectionAssert.AreEqual(teacher.Mean, card.Mean);
        CollectionAssert.AreEqual(teacher.Std, card.Std);
        CollectionAssert.AreEqual(teacher.Classes, card.Classes);
        Assert.AreEqual(0.8512, card.TestAccuracy);
        Assert.AreEqual(TeacherCardPreprocessing(), Distill.Data.TeacherCard.Resolve(card, null, null, null).ToString());
        Directory.Delete(dir, true);
    }

    private static string TeacherCardPreprocessing() => Distill.Data.TeacherCard.Resolve(Distill.Data.TeacherCard.Load(TeacherCardPath), null, null, null).ToString();
}
