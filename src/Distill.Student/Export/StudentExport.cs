using System.Text.Json;
using Distill.Data;
using Distill.Student.Output;
using Distill.Student.Students;
using static TorchSharp.torch;

namespace Distill.Student.Export;

/// <summary>Paths written by <see cref="StudentExport.WriteAll"/>.</summary>
public sealed record ExportedStudent(string OnnxPath, string CardPath, string SafetensorsPath, long Parameters);

/// <summary>
/// One call that takes a trained student out of the toolkit: OUT/student.onnx (ONNX, same input/output names and
/// input shape as the teacher; a multi-task student's heads as outputs of their own, e.g. seg and det), OUT/student.json
/// (the teacher-style card: preprocessing, classes; a detection head's anchors and grid) and
/// OUT/student.safetensors (PyTorch state_dict names). Each is written whole (<see cref="AtomicFile"/>).
/// <code>StudentExport.WriteAll(model, "mlp-256-256", StudentExportSpec.FromCache(cache.Metadata), outDir);</code>
/// </summary>
public static class StudentExport
{
    public const string OnnxFile = "student.onnx", CardFile = "student.json", SafetensorsFile = "student.safetensors";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static ExportedStudent WriteAll(nn.Module<Tensor, Tensor> module, string studentName, StudentExportSpec spec, string outDir)
    {
        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DistillException($"cannot create output directory {outDir}: {e.Message}", e); }
        long parameters = module.parameters().Sum(p => p.numel());
        var arch = Describe(module);
        var meta = new Dictionary<string, string>
        {
            ["student"] = studentName,
            ["architecture"] = arch,
            ["classes"] = spec.Classes is null ? "" : JsonSerializer.Serialize(spec.Classes),
            ["preprocessing"] = spec.Preprocessing.ToString(),
        };
        var onnx = Path.Combine(outDir, OnnxFile);
        OnnxExporter.Save(module, onnx, new OnnxExportOptions
        {
            SampleShape = spec.SampleShape,
            InputName = spec.InputName,
            OutputName = spec.OutputName,
            GraphName = studentName,
            DocString = $"Student {studentName} distilled from {spec.TeacherFile ?? "a teacher"}: {arch}",
            Metadata = meta,
        });
        var st = Path.Combine(outDir, SafetensorsFile);
        SafetensorsWriter.Write(st, module, new Dictionary<string, string> { ["format"] = "pt", ["student"] = studentName });
        var cardPath = Path.Combine(outDir, CardFile);
        // A multi-task student's heads are its outputs (named as the teacher's); the card lists each with its shape.
        var outputs = module is LayerStudent { Heads.Count: > 0 } heads
            ? StudentOutputs.Describe(module, spec.SampleShape).Where(o => heads.OutputNames.Contains(o.Name)).ToList() : null;
        var card = StudentCard.Build(spec, OnnxFile, studentName, arch, parameters, SafetensorsFile, outputs);
        AtomicFile.WriteText(cardPath, card.ToJsonString(Indented) + "\n");
        return new ExportedStudent(onnx, cardPath, st, parameters);
    }

    /// <summary>A one-line description from the module tree, e.g. "Mlp: layers(fc0 Linear 784→256, relu0 ReLU, …)".</summary>
    public static string Describe(nn.Module m)
    {
        string One(nn.Module x) => x switch
        {
            TorchSharp.Modules.Linear l => $"Linear {l.in_features}->{l.out_features}",
            TorchSharp.Modules.Conv2d c => $"Conv {c.in_channels}->{c.out_channels} {string.Join("x", c.kernel_size)}",
            _ => x.GetType().Name,
        };
        var kids = m.named_children().ToList();
        if (kids.Count == 0) return One(m);
        return $"{m.GetType().Name}({string.Join(", ", kids.Select(k => k.name + " " + Describe(k.module)))})";
    }
}
