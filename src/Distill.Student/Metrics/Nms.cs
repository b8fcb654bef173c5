namespace Distill.Student.Metrics;

/// <summary>Greedy non-maximum suppression per class (as torchvision's batched_nms).</summary>
public static class Nms
{
    /// <summary>
    /// Detections in descending score order (stable); a detection is dropped when its IoU with an already kept
    /// detection of the same class exceeds <paramref name="iouThreshold"/>.
    /// </summary>
    public static List<Detection> PerClass(IEnumerable<Detection> detections, double iouThreshold)
    {
        var kept = new List<Detection>();
        foreach (var d in detections.OrderByDescending(d => d.Score))
        {
            bool suppressed = false;
            foreach (var k in kept)
                if (k.ClassIndex == d.ClassIndex && BoxCorners.Iou(k.Box, d.Box) > iouThreshold) { suppressed = true; break; }
            if (!suppressed) kept.Add(d);
        }
        return kept;
    }
}
