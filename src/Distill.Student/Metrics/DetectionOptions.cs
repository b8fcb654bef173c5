namespace Distill.Student.Metrics;

/// <summary>
/// Settings of mAP@0.5: detections scoring above <paramref name="ConfidenceThreshold"/> (YOLOv5's validation default,
/// low so the precision-recall curve is complete), per-class NMS dropping boxes whose IoU with a kept higher-scored box
/// exceeds <paramref name="NmsIou"/>, a detection matching a ground truth at IoU ≥ <paramref name="MatchIou"/>.
/// </summary>
public sealed record DetectionOptions(double ConfidenceThreshold = 0.001, double NmsIou = 0.5, double MatchIou = 0.5)
{
    public static DetectionOptions Default { get; } = new();
}
