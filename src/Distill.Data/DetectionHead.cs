using System.Globalization;
using System.Text.Json.Serialization;

namespace Distill.Data;

/// <summary>
/// How a YOLO-style detection output [A·GH·GW, 5 + K] is laid out (YOLOv5's parametrisation, Jocher et al. 2020), as
/// a teacher card gives it: <see cref="Anchors"/> (width, height in input pixels, one per anchor) and the
/// <see cref="Grid"/> [GH, GW]. Rows are anchor-major, r = a·GH·GW + gy·GW + gx, each holding raw tx, ty, tw, th,
/// objectness and K class logits. precompute-logits records it in the cache beside the output, so the student stage
/// (its student, label losses and mAP) decodes the same boxes the teacher's card describes.
/// </summary>
public sealed record DetectionHead(
    [property: JsonPropertyName("anchors")] double[][] Anchors,
    [property: JsonPropertyName("grid")] int[] Grid)
{
    [JsonIgnore] public int GridHeight => Grid[0];
    [JsonIgnore] public int GridWidth => Grid[1];
    [JsonIgnore] public int Rows => Anchors.Length * Grid[0] * Grid[1];

    /// <summary>What is wrong with the anchors or the grid, or null.</summary>
    public string? Invalid() =>
        Anchors is not { Length: > 0 } ? "it has no anchors"
        : Anchors.Any(a => a is not { Length: 2 } || a.Any(v => !(v > 0) || !double.IsFinite(v))) ? "each anchor must be [width, height], positive numbers (input pixels)"
        : Grid is not { Length: 2 } || Grid.Any(g => g < 1) ? "grid must be [GH, GW], positive integers"
        : null;

    /// <summary>Why an output of per-sample <paramref name="shape"/> is not this head's [A·GH·GW, 5 + K] (K ≥ 1), or null.</summary>
    public string? ShapeProblem(int[] shape) => shape is [var rows, var width] && rows == Rows && width >= 6 ? null
        : $"{Anchors.Length} anchors on a {Grid[0]}x{Grid[1]} grid make [{Rows}, 5 + K] per sample, the output is [{string.Join(", ", shape)}]";

    /// <summary>"3 anchors [[14, 21], [24, 14], [26, 31]] on an 8x8 grid", for messages.</summary>
    public override string ToString() =>
        $"{Anchors.Length} anchors [{string.Join(", ", Anchors.Select(a => $"[{string.Join(", ", a.Select(v => v.ToString(CultureInfo.InvariantCulture)))}]"))}] on a {Grid[0]}x{Grid[1]} grid";
}
