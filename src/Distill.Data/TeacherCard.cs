using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distill.Data;

/// <summary>
/// The JSON card that travels beside a teacher (or exported student) model: <c>model.onnx</c> → <c>model.json</c>,
/// in the format of models/fmnist-resnet/fmnist-resnet.json; every field that is read is described in docs/teacher-card.md.
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
    /// <summary>
    /// Stable class identifiers (e.g. WordNet synsets <c>n01440764</c>), same order and length as
    /// <see cref="Classes"/>; when present, folder datasets are matched by these instead of the names (docs/teacher-card.md).
    /// </summary>
    public string[]? ClassIds { get; init; }
    /// <summary><c>input.resize</c>: <c>short:S</c>, the shorter side to S before the crop (torchvision's Resize(S)).</summary>
    public int? ShortSide { get; init; }
    /// <summary><c>input.crop</c>: <c>center:HxW</c> (torchvision's CenterCrop((h, w))).</summary>
    public CropSize? Crop { get; init; }
    /// <summary>
    /// YOLO-style detection outputs by name: each <c>outputs.NAME</c> with a <c>grid</c> [GH, GW], its anchors from
    /// <c>outputs.NAME.anchors</c> or the card's top-level <c>anchors</c> ([[w, h], ...] in input pixels). Null when none.
    /// </summary>
    public IReadOnlyDictionary<string, DetectionHead>? DetectionHeads { get; init; }

    /// <summary>What folder datasets are matched by and caches record: <see cref="ClassIds"/>, else <see cref="Classes"/>.</summary>
    public string[]? ClassKeys => ClassIds ?? Classes;

    /// <summary>The card's classes and eval transforms as dataset options; <paramref name="warn"/> receives the reader's warnings.</summary>
    public static DatasetOptions DatasetOptionsFor(TeacherCard? card, Action<string>? warn) => new()
    {
        TeacherClasses = card?.ClassKeys, ShortSide = card?.ShortSide, Crop = card?.Crop, Warn = warn,
    };

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
        var classes = Strings(o["classes"]);
        var ids = Strings(o["class_ids"]);
        if (ids is not null)
        {
            if (classes is not null && ids.Length != classes.Length)
                throw new DistillException($"{path}: class_ids has {ids.Length} entries but classes has {classes.Length}");
            if (ids.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new DistillException($"{path}: class_ids lists '{twice.Key}' more than once");
        }
        return new TeacherCard(
            InputName: input?["name"]?.GetValue<string>(),
            OutputName: output?["name"]?.GetValue<string>(),
            Scale: input?["scale"]?.GetValue<double>(),
            Mean: Numbers(input?["mean"]),
            Std: Numbers(input?["std"]),
            Classes: classes,
            TestAccuracy: o["accuracy"]?["test"]?.GetValue<double>(),
            Task: o["task"]?.GetValue<string>())
        {
            ClassIds = ids,
            ShortSide = input?["resize"]?.GetValue<string>() is { } r ? ResizeAndCrop.ParseShortSide(r, $"{path}: input.resize") : null,
            Crop = input?["crop"]?.GetValue<string>() is { } c ? ResizeAndCrop.ParseCenterCrop(c, $"{path}: input.crop") : null,
            DetectionHeads = Detection(o, path),
        };
    }

    private static Dictionary<string, DetectionHead>? Detection(JsonObject card, string path)
    {
        if (card["outputs"] is not JsonObject outputs) return null;
        var heads = new Dictionary<string, DetectionHead>();
        foreach (var (name, node) in outputs)
        {
            if (node?["grid"] is not { } grid) continue;
            DetectionHead head;
            try
            {
                var anchors = (node["anchors"] ?? card["anchors"]) as JsonArray
                    ?? throw new DistillException($"{path}: outputs.{name} has a grid but the card lists no anchors");
                head = new DetectionHead(anchors.Select(a => a!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray(),
                    grid.AsArray().Select(v => v!.GetValue<int>()).ToArray());
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new DistillException($"{path}: outputs.{name}: anchors must be [[w, h], ...] numbers and grid [GH, GW] integers", e);
            }
            if (head.Invalid() is { } why) throw new DistillException($"{path}: outputs.{name}: {why}");
            heads[name] = head;
        }
        return heads.Count > 0 ? heads : null;
    }

    private static string[]? Strings(JsonNode? n) => (n as JsonArray)?.Select(c => c!.GetValue<string>()).ToArray();

    // mean/std may be a scalar (one channel) or a per-channel array.
    private static double[]? Numbers(JsonNode? n) => n switch
    {
        null => null,
        JsonArray a => a.Select(x => x!.GetValue<double>()).ToArray(),
        _ => new[] { n.GetValue<double>() },
    };

    /// <summary>
    /// <c>input.scale</c> of a card that gives <c>input.mean</c> and <c>input.std</c> but no scale: raw 8-bit values to
    /// [0, 1], torchvision's ToTensor (the card format's documented default, docs/teacher-card.md).
    /// </summary>
    public const double DefaultScale = 1.0 / 255.0;
}
