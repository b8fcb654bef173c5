using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Distill.Student.Terms;

/// <summary>
/// One term of a recipe's objective, as written in JSON: <c>{"loss": "hint_mse", "weight": 1, "student": "fc1",
/// "teacher": "features", "adapter": "linear"}</c>. Every other key is a parameter of the loss (e.g. "temperature"),
/// checked against the loss's own parameter record when the objective is built.
/// </summary>
public sealed record TermSpec
{
    /// <summary>Registered loss name (<see cref="Losses.LossRegistry"/>).</summary>
    public required string Loss { get; init; }
    public double Weight { get; init; } = 1.0;
    /// <summary>Name in metrics and logs; default the loss name (with the teacher column when the loss repeats).</summary>
    public string? Name { get; init; }
    /// <summary>Student output: "logits" or a tap (<c>train-student taps</c> lists them).</summary>
    public string Student { get; init; } = "logits";
    /// <summary>Cache column: "logits", "logits_t1", a feature column, or the ONNX output name it holds.</summary>
    public string Teacher { get; init; } = "logits";
    /// <summary>Maps the student output to the teacher's shape: "linear" ([D] → [D']) or "conv" ([C,H,W] → [C',H',W']).</summary>
    public string? Adapter { get; init; }
    /// <summary>Epochs over which the term ramps in: weight × min(epoch / warmup, 1); 0 = none.</summary>
    public int Warmup { get; init; }

    /// <summary>The loss's own parameters (every key not listed above).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Parameters { get; init; }

    public IReadOnlyDictionary<string, JsonNode?> ParameterNodes() =>
        (Parameters ?? new Dictionary<string, JsonElement>()).ToDictionary(kv => kv.Key, kv => JsonNode.Parse(kv.Value.GetRawText()));

    /// <summary>A spec with these loss parameters (for code that builds terms).</summary>
    public TermSpec WithParameters(IReadOnlyDictionary<string, object> values) => this with
    {
        Parameters = values.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value)),
    };
}
