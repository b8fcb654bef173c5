using Distill.Student.Metrics;

namespace Distill.Student.Losses;

/// <summary>
/// What a loss that reads dataset targets checks a student output against when the objective is bound: the masks'
/// class count (background plus K), the boxes' K, and the YOLO layout (anchors, grid, input size) of each student
/// output that is a detection head, by output name. Unknown parts are null or absent.
/// </summary>
public sealed record DenseTargetLayout(int? MaskClasses, int? BoxClasses, IReadOnlyDictionary<string, YoloHeadLayout> DetectionHeads)
{
    /// <summary>
    /// <see cref="LossBatch.Targets"/> keys: the class masks [B, H, W] (uint8, 0 = background, c + 1 = class c, at the
    /// samples' size) and the labelled boxes [M, 6] (float32 rows: batch row, class, cx, cy, w, h normalized to [0, 1]).
    /// </summary>
    public const string Masks = "masks", Boxes = "boxes";

    public static DenseTargetLayout None { get; } = new(null, null, new Dictionary<string, YoloHeadLayout>());
}
