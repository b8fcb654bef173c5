using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Teacher;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// <c>precompute-logits card TEACHER.onnx --scale S --mean M --std D [--classes FILE]</c>: writes the teacher's card
/// TEACHER.json (docs/teacher-card.md) with the input and output the tools will use, so that no later command needs
/// the preprocessing flags.
/// </summary>
internal static class CardCommand
{
    public static Command Create()
    {
        var teacher = new Argument<string>("teacher") { Description = "ONNX teacher model; the card is written beside it (same name, .json)" };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean, comma-separated (required unless --no-normalize)" };
        var std = new Option<string?>("--std") { Description = "Per-channel std, comma-separated (required unless --no-normalize)" };
        var scale = new Option<string?>("--scale") { Description = "Multiplier of the raw values before mean/std, e.g. 1/255 for 8-bit pixels (required unless --no-normalize)" };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "The model takes the raw values as they are stored" };
        var classes = new Option<string?>("--classes") { Description = "Text file with one class name per line, in the order of the model's outputs" };
        var input = new Option<string?>("--input") { Description = "Model input, when it has several" };
        var output = new Option<string?>("--output") { Description = "Model output holding the class logits, when it has several" };
        var dataset = new Option<string?>("--dataset") { Description = "A dataset whose sample shape the model takes (needed when its input has free axes besides the batch)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing card" };
        var cmd = new Command("card", ToolHelp.Describe(
            "Write the teacher's card (TEACHER.json beside TEACHER.onnx): its input's preprocessing, input and output names\n" +
            "and shapes, and class names; precompute-logits and evaluate then read the preprocessing from it.",
            "precompute-logits card my-teacher.onnx --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --classes classes.txt"));
        cmd.Arguments.Add(teacher);
        foreach (var o in new Option[] { scale, mean, std, noNormalize, classes, input, output, dataset, overwrite }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult r) =>
        {
            var path = r.GetValue(teacher)!;
            if (!File.Exists(path)) throw new DistillException($"teacher {path} not found");
            var cardPath = TeacherCard.PathFor(path);
            if (File.Exists(cardPath) && !r.GetValue(overwrite))
                throw new DistillException($"{cardPath} exists (pass --overwrite to replace it)");
            var pre = PreprocessingFlags.Parse(r.GetValue(scale), r.GetValue(mean), r.GetValue(std), r.GetValue(noNormalize)).Require(null, path).Value;
            var names = r.GetValue(classes) is { } file ? ReadClasses(file) : null;
            var sample = r.GetValue(dataset) is { } d ? DatasetCatalog.Open(d, "train").SampleShape : null;
            var layers = TeacherLayers.List(path, sample, r.GetValue(input));
            var sampleShape = layers.InputShape.Skip(1).Select(x => (int)x).ToArray();
            using var model = TeacherModel.Open(path, sampleShape, layers.InputName, r.GetValue(output) is { } o ? new[] { o } : null,
                ExecutionDevice.Cpu, 1, _ => { });
            var outShape = model.OutputShapes[0];
            if (names is not null && (outShape.Length != 1 || outShape[0] != names.Length))
                throw new DistillException($"{r.GetValue(classes)} lists {names.Length} classes, but output '{model.OutputName}' is [N,{string.Join(",", outShape)}]");
            var card = Build(Path.GetFileName(path), model.InputName, model.InputShape, model.FixedBatch, model.OutputName, outShape, pre, names);
            AtomicFile.WriteText(cardPath, card.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            Console.WriteLine($"{cardPath}: input '{model.InputName}' [{Batch(model.FixedBatch)},{string.Join(",", sampleShape)}] with {pre}, " +
                              $"output '{model.OutputName}' [{Batch(model.FixedBatch)},{string.Join(",", outShape)}]{(names is null ? "" : $", {names.Length} class names")}");
            return 0;
        });
        return cmd;
    }

    private static string Batch(int? fixedBatch) => fixedBatch?.ToString() ?? "N";

    /// <summary>The card in the format TeacherCard reads (docs/teacher-card.md); the batch axis is "batch" unless fixed.</summary>
    public static JsonObject Build(string modelFile, string inputName, long[] inputShape, int? fixedBatch, string outputName, int[] outputShape,
        Preprocessing pre, string[]? classes)
    {
        JsonArray Shape(IEnumerable<long> perSample) =>
            new(perSample.Select(x => (JsonNode?)JsonValue.Create(x)).Prepend(fixedBatch is int b ? JsonValue.Create(b) : JsonValue.Create("batch")).ToArray());
        JsonArray Numbers(double[] v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        var card = new JsonObject
        {
            ["model"] = modelFile,
            ["input"] = new JsonObject
            {
                ["name"] = inputName,
                ["shape"] = Shape(inputShape.Skip(1)),
                ["dtype"] = "float32",
                ["preprocess"] = "x = (raw · scale - mean[c]) / std[c], channels first",
                ["scale"] = pre.Scale,
                ["mean"] = Numbers(pre.Mean),
                ["std"] = Numbers(pre.Std),
            },
            ["output"] = new JsonObject { ["name"] = outputName, ["shape"] = Shape(outputShape.Select(x => (long)x)) },
        };
        if (classes is not null) card["classes"] = new JsonArray(classes.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray());
        return card;
    }

    private static string[] ReadClasses(string file)
    {
        if (!File.Exists(file)) throw new DistillException($"--classes {file} not found");
        var names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length == 0) throw new DistillException($"--classes {file} lists no class names (one per line)");
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new DistillException($"--classes {file} lists '{twice.Key}' more than once");
        return names;
    }
}
