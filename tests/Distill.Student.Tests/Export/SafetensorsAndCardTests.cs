using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Student.Export;
using static TorchSharp.torch;
using static Distill.Student.Tests.Export.ExportFixture;

namespace Distill.Student.Tests.Export;

[TestClass]
public sealed class SafetensorsAndCardTests
{
    /// <summary>
    /// student.safetensors read by an independent reader written from the format's specification with numpy
    /// (tests/Shared/read_safetensors.py: header, offsets covering the buffer exactly, dtypes): every tensor of the
    /// state_dict is there, in order, with its dtype, shape and bytes (SHA-256 of the tensor's own memory).
    /// </summary>
    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    [DataRow("mlp-20-20")]
    [DataRow("cnn-small")]
    [DataRow("resnet20")]
    public void NumpyReadsEveryTensorBack(string name)
    {
        manual_seed(2);
        using var m = StudentRegistry.Create(name, Sample, 10);
        var dir = TempDir();
        var path = Path.Combine(dir, "w.safetensors");
        SafetensorsWriter.Write(path, m, new Dictionary<string, string> { ["format"] = "pt" });

        var read = JsonNode.Parse(Python.Run("Shared/read_safetensors.py", path))!;
        Assert.AreEqual(0, (8 + read["header_bytes"]!.GetValue<long>()) % 8, "data starts 8-byte aligned");
        Assert.AreEqual("pt", read["metadata"]!["format"]!.GetValue<string>());
        var tensors = read["tensors"]!.AsArray();
        var state = m.state_dict();
        CollectionAssert.AreEqual(state.Keys.ToArray(), tensors.Select(t => t!["name"]!.GetValue<string>()).ToArray());
        foreach (var t in tensors)
        {
            var src = state[t!["name"]!.GetValue<string>()];
            Assert.AreEqual(src.dtype == ScalarType.Int64 ? "I64" : "F32", t["dtype"]!.GetValue<string>());
            CollectionAssert.AreEqual(src.shape, t["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray());
            Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(src.contiguous().bytes)), t["sha256"]!.GetValue<string>(), $"{t["name"]}: bytes");
        }
        if (name == "resnet20") Assert.IsTrue(tensors.Any(t => t!["name"]!.GetValue<string>() == "bn.num_batches_tracked" && t["dtype"]!.GetValue<string>() == "I64"));
        if (name.StartsWith("mlp")) Assert.AreEqual("layers.fc0.weight", tensors[0]!["name"]!.GetValue<string>());
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
        Assert.AreEqual(TeacherCardPreprocessing(), Distill.Data.PreprocessingFlags.None.Require(card, TeacherCardPath).Value.ToString());
        Directory.Delete(dir, true);
    }

    [TestMethod]
    public void TheCardCarriesTheCachesClassesAndTaskAndARunsCardKeepsItsTeacher()
    {
        // A teacher with no card under models/: classes and task come from the cache metadata alone.
        var meta = new Distill.Cache.CacheMetadata
        {
            TeacherFile = "elsewhere-teacher.onnx", TeacherSha256 = new string('a', 64),
            Outputs = new[] { new Distill.Cache.CacheOutput("logits", "logits", new[] { 3 }) }, ClassCount = 3,
            DatasetName = "unit", Split = "train", DatasetCount = 1, Fingerprint = "ab12cd34ef56ab12cd34ef56", SampleShape = new[] { 4 },
            Preprocessing = new Distill.Data.Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), InputName = "x",
            ClassNames = new[] { "n01", "n02", "n03" }, Task = "three synsets",
        };
        var spec = StudentExportSpec.FromCache(meta);
        using var m = StudentRegistry.Create("mlp:8", new[] { 4 }, 3);
        var dir = TempDir();
        var r = StudentExport.WriteAll(m, "mlp:8", spec with { TestAccuracy = 0.5 }, dir);
        var card = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(r.CardPath))!;
        CollectionAssert.AreEqual(new[] { "n01", "n02", "n03" }, card["classes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray());
        Assert.AreEqual("three synsets", card["task"]!.GetValue<string>());
        Assert.AreEqual("elsewhere-teacher.onnx", card["distilled_from"]!["model"]!.GetValue<string>());

        // Exported again from that card (export --run without --cache): the teacher stays the teacher, not student.onnx.
        var again = StudentExportSpec.FromRunCard(r.CardPath);
        Assert.AreEqual("elsewhere-teacher.onnx", again.TeacherFile);
        Assert.AreEqual(new string('a', 64), again.TeacherSha256);
        Assert.AreEqual("three synsets", again.Task);
        CollectionAssert.AreEqual(new[] { "n01", "n02", "n03" }, again.Classes);
        var second = TempDir();
        var card2 = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(StudentExport.WriteAll(m, "mlp:8", again, second).CardPath))!;
        Assert.AreEqual(card["distilled_from"]!.ToJsonString(), card2["distilled_from"]!.ToJsonString(), "no student accuracy passed off as the teacher's");
        Directory.Delete(dir, true);
        Directory.Delete(second, true);
    }

    private static string TeacherCardPreprocessing() => Distill.Data.PreprocessingFlags.None.Require(Distill.Data.TeacherCard.Load(TeacherCardPath), TeacherCardPath).Value.ToString();
}
