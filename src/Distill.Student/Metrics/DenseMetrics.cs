using Distill.Data;

namespace Distill.Student.Metrics;

/// <summary>
/// mIoU and mAP@0.5 of a two-head model's outputs on a split with masks and boxes (<see cref="IDenseTargets"/>):
/// <c>seg</c> [N, K + 1, h, w] against the masks, <c>det</c> [N, A, 5 + K] decoded by <see cref="YoloHeadLayout"/>
/// against the boxes. Either head may be absent (null); its metric is then null too.
/// </summary>
public static class DenseMetrics
{
    public sealed record Result(IouResult? Segmentation, MapResult? Detection);

    /// <summary>Detections of one image: decoded, above the confidence threshold, after per-class NMS.</summary>
    public static List<Detection> Detect(ReadOnlySpan<float> det, YoloHeadLayout layout, DetectionOptions options) =>
        Nms.PerClass(layout.Decode(det).Where(d => d.Score > options.ConfidenceThreshold), options.NmsIou);

    /// <param name="seg">count × (K + 1) × segHeight × segWidth values, or null.</param>
    /// <param name="det">count × layout.Rows × layout.RowSize values, or null.</param>
    public static Result Evaluate(IDenseTargets targets, int start, int count, float[]? seg, int segHeight, int segWidth,
        float[]? det, YoloHeadLayout? layout, DetectionOptions? options = null)
    {
        IouResult? iou = null;
        if (seg is not null)
        {
            var masks = targets.Masks ?? throw new DistillException("the dataset has no masks to compute mIoU against");
            var (h, w) = masks.MaskSize;
            var full = new byte[count * h * w];
            masks.ReadMasks(start, count, full);
            var miou = new SegmentationIou(masks.MaskClassCount);
            miou.AddFullResolution(seg, full, count, segHeight, segWidth, h, w);
            iou = miou.Compute();
        }
        MapResult? map = null;
        if (det is not null)
        {
            var boxes = targets.Boxes ?? throw new DistillException("the dataset has no label files to compute mAP against");
            ArgumentNullException.ThrowIfNull(layout);
            options ??= DetectionOptions.Default;
            var ap = new MeanAveragePrecision(layout.ClassCount, options.MatchIou);
            int size = layout.Rows * layout.RowSize;
            for (int n = 0; n < count; n++)
                ap.Add(Detect(det.AsSpan(n * size, size), layout, options), boxes.GetBoxes(start + n));
            map = ap.Compute();
        }
        return new Result(iou, map);
    }
}
