using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distill.Data;

/// <summary>
/// The JSON card that travels beside a teacher (or exported student) model: <c>model.onnx</c> → <c>model.json</c>,
/// in the format of ../shared/teachers/fmnist-resnet.json. Only the fields the pipeline needs are read.
/// </summary>
public sealed record TeacherCard(
    string? InputName,
    string? OutputName,
    double? Scale,
    double[]? Mean,
    double[]? Std,
    string[]? Classes,
    double? TestAccuracy,
    string? Task = null)
{
    /// <summary>Path of the card that belongs to <paramref name="modelPath"/> (same name, .json).</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".json");

    /// <summary>Reads the card beside the model, or returns null when there is none.</summary>
    public static TeacherCard? TryLoadFor(string modelPath)
    {
        var path = PathFor(modelPath);
        return File.Exists(path) ? Load(path) : null;
    }

    public static TeacherCard Load(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DistillException($"{path}: invalid JSON ({e.Message})", e); }
        if (root is not JsonObject o) throw new DistillException($"{path}: expected a JSON object");
        var input = o["input"] as JsonObject;
        var output = o["output"] as JsonObject;
        return new TeacherCard(
            InputName: input?["name"]?.GetValue<string>(),
            OutputName: output?["name"]?.GetValue<string>(),
            Scale: input?["scale"]?.GetValue<double>(),
            Mean: Numbers(input?["mean"]),
            Std: Numbers(input?["std"]),
            Classes: (o["classes"] as JsonArray)?.Select(c => c!.GetValue<string>()).ToArray(),
            TestAccuracy: o["accuracy"]?["test"]?.GetValue<double>(),
            Task: o["task"]?.GetValue<string>());
    }

    // mean/std may be a scalar (one channel) or a per-channel array.
    private static double[]? Numbers(JsonNode? n) => n switch
    {
        null => null,
        JsonArray a => a.Select(x => x!.GetValue<double>()).ToArray(),
        _ => new[] { n.GetValue<double>() },
    };

    /// <summary>Preprocessing from the card; flags given by the user override it field by field.</summary>
    public static Preprocessing Resolve(TeacherCard? card, double? scale, double[]? mean, double[]? std) => new(
        scale ?? card?.Scale ?? 1.0 / 255.0,
        mean ?? card?.Mean ?? new[] { 0.0 },
        std ?? card?.Std ?? new[] { 1.0 });
}
