using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Cache;
using Distill.Data;
using Distill.Student.Students;

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
    /// <summary>What the model does (the card's <c>task</c>); null: the teacher card's, else "C-class classification".</summary>
    public string? Task { get; init; }
    /// <summary>The teacher's card, whose descriptive fields (task, input.preprocess, data) the student's card repeats.</summary>
    public JsonObject? TeacherCard { get; init; }
    public string? TeacherFile { get; init; }
    public string? TeacherSha256 { get; init; }
    public double? TestAccuracy { get; init; }
    /// <summary>Free text: how the student was trained (recipe summary).</summary>
    public string? Training { get; init; }
    /// <summary>The teacher's dense outputs, which a multi-task student mirrors (null for a classifier).</summary>
    public DenseHeads? Heads { get; init; }

    /// <summary>
    /// From a logits cache's metadata; the teacher card is <paramref name="teacherCardPath"/>, else
    /// models/STEM/STEM.json under the current directory when present (STEM = teacher file name without extension).
    /// Classes and task come from the cache (what precompute-logits read from the teacher's card), else from that card.
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
            Classes = m.ClassNames is { } names && names.Count == m.ClassCount ? names.ToArray()
                : parsed?.Classes is { } c && c.Length == m.ClassCount ? c : null,
            Task = m.Task.Length > 0 ? m.Task : null,
            TeacherCard = card,
            TeacherFile = m.TeacherFile,
            TeacherSha256 = m.TeacherSha256,
            Heads = DenseHeads.FromCache(m),
        };
    }

    /// <summary>From the teacher's card alone (sample shape from its input shape, or given).</summary>
    public static StudentExportSpec FromTeacherCard(string cardPath, int[]? sampleShape = null)
    {
        var card = LoadJson(cardPath);
        var parsed = Data.TeacherCard.Load(cardPath);
        sampleShape ??= (card["input"]?["shape"] as JsonArray)?.Skip(1).Select(n => n!.GetValue<int>()).ToArray()
            ?? throw new DistillException($"{cardPath}: input.shape missing; give the sample shape");
        var heads = DenseHeads.FromCard(cardPath, sampleShape);
        int classes = parsed.Classes?.Length ?? (card["output"]?["shape"] as JsonArray)?.Last()?.GetValue<int>()
            ?? heads?.SegmentationShape?[0] ?? (heads?.Detection is { } d ? d.ClassCount + 1 : (int?)null)
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
            Heads = heads,
        };
    }

    /// <summary>
    /// From a student card written by a run (<c>export --run DIR</c> without <c>--cache</c>): its shape, names,
    /// preprocessing, classes and task are the student's, and so the export's; the teacher is the one the card was
    /// <c>distilled_from</c> (file, SHA-256, test accuracy), never the card's own model.
    /// </summary>
    public static StudentExportSpec FromRunCard(string cardPath)
    {
        var spec = FromTeacherCard(cardPath);
        var card = spec.TeacherCard!;
        var from = card["distilled_from"] as JsonObject;
        // The card's descriptive fields (task, preprocess, data) repeat the teacher's; its accuracy is the student's own.
        var teacherFields = (JsonObject)card.DeepClone();
        teacherFields.Remove("accuracy");
        if (from?["accuracy_test"] is { } accuracy) teacherFields["accuracy"] = new JsonObject { ["test"] = accuracy.DeepClone() };
        return spec with
        {
            TeacherCard = teacherFields,
            Task = card["task"]?.GetValue<string>(),
            TeacherFile = from?["model"]?.GetValue<string>(),
            TeacherSha256 = from?["sha256"]?.GetValue<string>(),
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
    /// <param name="outputs">A multi-task student's outputs and their per-sample shapes (its heads); null: one output, [C] logits.</param>
    public static JsonObject Build(StudentExportSpec s, string modelFile, string studentName, string architecture, long parameters, string weightsFile,
        IReadOnlyList<(string Name, long[] Shape)>? outputs = null)
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
            ["task"] = s.Task ?? t?["task"]?.GetValue<string>() ?? $"{s.ClassCount}-class classification",
            ["exported_with"] = $"Distill.Student.Export (graph written from the TorchSharp module, no tracer), opset {OnnxExporter.Opset}, IR {OnnxExporter.IrVersion}, dynamic batch axis",
            ["student"] = studentName,
            ["architecture"] = architecture,
            ["parameters"] = parameters,
            ["input"] = input,
        };
        if (outputs is null)
            card["output"] = new JsonObject
            {
                ["name"] = s.OutputName,
                ["shape"] = new JsonArray("batch", s.ClassCount),
                ["dtype"] = "float32",
                ["meaning"] = "raw logits (no softmax)",
            };
        else DenseOutputs(card, s, outputs);
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

    /// <summary>
    /// A multi-task student's outputs in the teacher card's format: <c>outputs.NAME</c> with its shape (the teacher's
    /// description of the same output, e.g. how to decode boxes, is kept), the detection head's <c>grid</c> and the
    /// <c>anchors</c> it was trained with (the cache's), and the classes of its boxes.
    /// </summary>
    private static void DenseOutputs(JsonObject card, StudentExportSpec s, IReadOnlyList<(string Name, long[] Shape)> outputs)
    {
        var o = new JsonObject();
        foreach (var (name, shape) in outputs)
        {
            var entry = s.TeacherCard?["outputs"]?[name]?.DeepClone() as JsonObject ?? new JsonObject();
            var batched = new JsonArray { "batch" };
            foreach (var size in shape) batched.Add(size);
            entry["shape"] = batched;
            entry["dtype"] = "float32";
            if (s.Heads is { DetectionOutput: { } det, Detection: { } layout } && det == name)
            {
                entry["grid"] = new JsonArray(layout.GridHeight, layout.GridWidth);
                card["anchors"] = new JsonArray(layout.Anchors.Select(a => (JsonNode?)new JsonArray(a.Width, a.Height)).ToArray());
            }
            o[name] = entry;
        }
        card["outputs"] = o;
        card["task"] = s.TeacherCard?["task"]?.DeepClone() ?? "segmentation and detection";
        if (s.Classes is null && s.Heads?.Detection is { } d && s.TeacherCard?["classes"] is JsonArray names && names.Count == d.ClassCount)
            card["classes"] = names.DeepClone();
    }
}
