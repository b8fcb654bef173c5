using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Export;

/// <summary>
/// What the exported student must look like from outside: the teacher's input/output names, sample shape,
/// preprocessing and class names. Built from a logits cache's metadata and/or the teacher's card JSON.
/// </summary>
public sealed record StudentExportSpec
{
    public required int[] SampleShape { get; init; }
    public required int ClassCount { get; init; }
    public string InputName { get; init; } = "input";
    public string OutputName { get; init; } = "logits";
    public Preprocessing Preprocessing { get; init; } = Preprocessing.Identity;
    public string[]? Classes { get; init; }
    /// <summary>The teacher's card, whose descriptive fields (task, input.preprocess, data) the student's card repeats.</summary>
    public JsonObject? TeacherCard { get; init; }
    public string? TeacherFile { get; init; }
    public string? TeacherSha256 { get; init; }
    public double? TestAccuracy { get; init; }
    /// <summary>Free text: how the student was trained (recipe summary).</summary>
    public string? Training { get; init; }

    /// <summary>
    /// From a logits cache's metadata; the teacher card is <paramref name="teacherCardPath"/>, else
    /// models/STEM/STEM.json under the current directory when present (STEM = teacher file name without extension).
    /// </summary>
    public static StudentExportSpec FromCache(CacheMetadata m, string? teacherCardPath = null)
    {
        teacherCardPath ??= DefaultCardPath(m.TeacherFile);
        var card = teacherCardPath is not null ? LoadJson(teacherCardPath) : null;
        var parsed = teacherCardPath is not null ? Data.TeacherCard.Load(teacherCardPath) : null;
        return new StudentExportSpec
        {
            SampleShape = m.SampleShape,
            ClassCount = m.ClassCount,
            InputName = m.InputName,
            OutputName = m.Outputs.Count > 0 ? m.Outputs[0].Name : parsed?.OutputName ?? "logits",
            Preprocessing = m.Preprocessing,
            Classes = parsed?.Classes is { } c && c.Length == m.ClassCount ? c : null,
            TeacherCard = card,
            TeacherFile = m.TeacherFile,
            TeacherSha256 = m.TeacherSha256,
        };
    }

    /// <summary>From the teacher's card alone (sample shape from its input shape, or given).</summary>
    public static StudentExportSpec FromTeacherCard(string cardPath, int[]? sampleShape = null)
    {
        var card = LoadJson(cardPath);
        var parsed = Data.TeacherCard.Load(cardPath);
        sampleShape ??= (card["input"]?["shape"] as JsonArray)?.Skip(1).Select(n => n!.GetValue<int>()).ToArray()
            ?? throw new DistillException($"{cardPath}: input.shape missing; give the sample shape");
        int classes = parsed.Classes?.Length ?? (card["output"]?["shape"] as JsonArray)?.Last()?.GetValue<int>()
            ?? throw new DistillException($"{cardPath}: neither classes nor output.shape give the class count");
        return new StudentExportSpec
        {
            SampleShape = sampleShape,
            ClassCount = classes,
            InputName = parsed.InputName ?? "input",
            OutputName = parsed.OutputName ?? "logits",
            Preprocessing = PreprocessingFlags.None.Resolve(parsed, null)?.Value
                ?? throw new DistillException($"{cardPath}: input.mean and input.std are missing (the student's preprocessing is never assumed)"),
            Classes = parsed.Classes,
            TeacherCard = card,
            TeacherFile = card["model"]?.GetValue<string>(),
        };
    }

    public static string? DefaultCardPath(string teacherFile)
    {
        var stem = Path.GetFileNameWithoutExtension(teacherFile);
        var p = Path.Combine("models", stem, stem + ".json");
        return File.Exists(p) ? Path.GetFullPath(p) : null;
    }

    private static JsonObject LoadJson(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new DistillException($"{path}: expected a JSON object"); }
        catch (JsonException e) { throw new DistillException($"{path}: invalid JSON ({e.Message})", e); }
    }
}

/// <summary>The card written beside student.onnx, in the teacher card's format (readable by <see cref="Data.TeacherCard"/>).</summary>
public static class StudentCard
{
    public static JsonObject Build(StudentExportSpec s, string modelFile, string studentName, string architecture, long parameters, string weightsFile)
    {
        var t = s.TeacherCard;
        var pre = s.Preprocessing;
        JsonNode Numbers(double[] v) => v.Length == 1 ? JsonValue.Create(v[0]) : new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        var shapeIn = new JsonArray { "batch" };
        foreach (var d in s.SampleShape) shapeIn.Add(d);
        var input = new JsonObject
        {
            ["name"] = s.InputName,
            ["shape"] = shapeIn,
            ["dtype"] = "float32",
            ["preprocess"] = t?["input"]?["preprocess"]?.GetValue<string>() ?? "x = (raw * scale - mean) / std, per channel, channels first",
        };
        if (Math.Abs(pre.Scale - 1.0 / 255.0) > 1e-12) input["scale"] = pre.Scale;
        input["mean"] = Numbers(pre.Mean);
        input["std"] = Numbers(pre.Std);

        var card = new JsonObject
        {
            ["model"] = modelFile,
            ["task"] = t?["task"]?.GetValue<string>() ?? $"{s.ClassCount}-class classification",
            ["exported_with"] = $"Distill.Student.Export (graph written from the TorchSharp module, no tracer), opset {OnnxExporter.Opset}, IR {OnnxExporter.IrVersion}, dynamic batch axis",
            ["student"] = studentName,
            ["architecture"] = architecture,
            ["parameters"] = parameters,
            ["input"] = input,
            ["output"] = new JsonObject
            {
                ["name"] = s.OutputName,
                ["shape"] = new JsonArray("batch", s.ClassCount),
                ["dtype"] = "float32",
                ["meaning"] = "raw logits (no softmax)",
            },
        };
        if (s.Classes is { } c) card["classes"] = new JsonArray(c.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        if (s.TestAccuracy is { } acc) card["accuracy"] = new JsonObject { ["test"] = Math.Round(acc, 4) };
        var teacher = new JsonObject();
        if (s.TeacherFile is not null) teacher["model"] = s.TeacherFile;
        if (s.TeacherSha256 is not null) teacher["sha256"] = s.TeacherSha256;
        if (t?["accuracy"]?["test"] is { } ta) teacher["accuracy_test"] = ta.DeepClone();
        if (teacher.Count > 0) card["distilled_from"] = teacher;
        if (s.Training is not null) card["training"] = s.Training;
        card["weights"] = $"{weightsFile} (safetensors, PyTorch state_dict names of the modules in the architecture field)";
        if (t?["data"] is { } data) card["data"] = data.DeepClone();
        return card;
    }
}
