using Distill.Cache;
using Distill.Data;
using Distill.Student.Metrics;

namespace Distill.Student.Students;

/// <summary>
/// The dense outputs of a segmentation + detection teacher as its cache describes them, which a two-head student mirrors
/// (and names its outputs after): the detection head, a cached output with a <see cref="DetectionHead"/> in the metadata
/// (the first one), decoded by <see cref="Detection"/>; and the segmentation map, the first cached output shaped
/// [K + 1, h, w] for the head's K classes (background plus each class), or without a detection head the first output
/// when it is [C, h, w].
/// </summary>
public sealed record DenseHeads(string? SegmentationOutput, int[]? SegmentationShape, string? DetectionOutput, YoloHeadLayout? Detection)
{
    /// <summary>The dense heads of a cache, or null when it has neither a detection head nor a segmentation map first.</summary>
    public static DenseHeads? FromCache(CacheMetadata m)
    {
        CacheOutput? det = m.Outputs.FirstOrDefault(o => m.Detection?.ContainsKey(o.Column) == true);
        YoloHeadLayout? layout = null;
        CacheOutput? seg;
        if (det is not null)
        {
            int k = det.Shape[1] - 5;
            layout = YoloHeadLayout.Of(m.Detection![det.Column], m.SampleShape[^2], m.SampleShape[^1], k);
            seg = m.Outputs.FirstOrDefault(o => o.Shape is [var c, _, _] && c == k + 1);
        }
        else seg = m.Outputs[0].Shape.Length == 3 ? m.Outputs[0] : null;
        if (det is null && seg is null) return null;
        return new DenseHeads(seg?.Name, seg?.Shape, det?.Name, layout);
    }

    /// <summary>
    /// The dense heads a card describes (a teacher's, or an exported student's student.json): <c>outputs.NAME</c> with a
    /// <c>grid</c> is the detection head (<see cref="TeacherCard.DetectionHeads"/>, K from its shape [batch, R, 5 + K]),
    /// the first output shaped [batch, C, h, w] the segmentation map. Null when it has neither.
    /// </summary>
    public static DenseHeads? FromCard(string cardPath, int[] sampleShape)
    {
        var card = TeacherCard.Load(cardPath);
        var outputs = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cardPath))?["outputs"] as System.Text.Json.Nodes.JsonObject;
        if (outputs is null) return null;
        int[]? Shape(string name) => (outputs[name]?["shape"] as System.Text.Json.Nodes.JsonArray)?.Skip(1)
            .Select(n => n!.GetValue<int>()).ToArray();
        var (detName, head) = card.DetectionHeads?.FirstOrDefault() ?? default;
        YoloHeadLayout? layout = null;
        if (detName is not null)
        {
            var shape = Shape(detName) ?? throw new DistillException($"{cardPath}: outputs.{detName} has no shape [batch, R, 5 + K]");
            if (head!.ShapeProblem(shape) is { } why) throw new DistillException($"{cardPath}: outputs.{detName}: {why}");
            layout = YoloHeadLayout.Of(head, sampleShape[^2], sampleShape[^1], shape[1] - 5);
        }
        var seg = outputs.Select(o => (o.Key, Shape: Shape(o.Key))).FirstOrDefault(o => o.Shape is [_, _, _] && o.Key != detName);
        if (detName is null && seg.Key is null) return null;
        return new DenseHeads(seg.Key, seg.Shape, detName, layout);
    }

    public override string ToString() => string.Join(", ", new[]
    {
        SegmentationOutput is null ? null : $"segmentation '{SegmentationOutput}' [{string.Join(", ", SegmentationShape!)}]",
        DetectionOutput is null ? null : $"detection '{DetectionOutput}' [{Detection!.Rows}, {Detection.RowSize}]",
    }.OfType<string>());
}
