using Distill.Data;

namespace Distill.Student.Metrics;

/// <summary>Per-class IoU (null for a class in neither prediction nor truth) and their mean (null when there is none).</summary>
public sealed record IouResult(double? MeanIou, double?[] PerClass);

/// <summary>
/// Segmentation mIoU from one confusion matrix over a whole split: the prediction is the argmax over the head's C
/// channels (first maximum on ties), the truth the class mask at the head's resolution (<see cref="MaskResize"/>:
/// nearest neighbour with half-pixel centres); IoU_c = TP / (TP + FP + FN), and a class that neither the prediction nor
/// the truth contains anywhere in the split has no IoU and is left out of the mean.
/// </summary>
public sealed class SegmentationIou
{
    private readonly long[] _confusion;   // [truth, prediction]

    public int ClassCount { get; }

    public SegmentationIou(int classCount)
    {
        ClassCount = classCount;
        _confusion = new long[classCount * classCount];
    }

    /// <summary>Adds <paramref name="count"/> head outputs [C, h, w] (row-major, raw logits or probabilities) and
    /// their masks already at h × w.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<byte> masks, int count, int height, int width)
    {
        int c = ClassCount, plane = height * width;
        if (logits.Length != count * c * plane || masks.Length != count * plane)
            throw new ArgumentException($"{count} outputs of [{c}, {height}, {width}] need {count * c * plane} values and {count * plane} mask values, got {logits.Length} and {masks.Length}");
        for (int n = 0; n < count; n++)
        {
            var map = logits.Slice(n * c * plane, c * plane);
            for (int p = 0; p < plane; p++)
            {
                int best = 0;
                for (int k = 1; k < c; k++) if (map[k * plane + p] > map[best * plane + p]) best = k;
                int truth = masks[n * plane + p];
                if (truth >= c) throw new ArgumentException($"mask class {truth} outside [0, {c})");
                _confusion[truth * c + best]++;
            }
        }
    }

    /// <summary>The same with masks at the input's resolution (maskHeight × maskWidth), resized to the head's first.</summary>
    public void AddFullResolution(ReadOnlySpan<float> logits, ReadOnlySpan<byte> masks, int count, int height, int width, int maskHeight, int maskWidth)
    {
        var resized = new byte[count * height * width];
        MaskResize.Nearest(masks, count, maskHeight, maskWidth, resized, height, width);
        Add(logits, resized, count, height, width);
    }

    public IouResult Compute()
    {
        int c = ClassCount;
        var ious = new double?[c];
        for (int k = 0; k < c; k++)
        {
            long tp = _confusion[k * c + k], truth = 0, predicted = 0;
            for (int j = 0; j < c; j++) { truth += _confusion[k * c + j]; predicted += _confusion[j * c + k]; }
            long union = truth + predicted - tp;
            if (union > 0) ious[k] = (double)tp / union;
        }
        var present = ious.Where(v => v is not null).Select(v => v!.Value).ToArray();
        return new IouResult(present.Length > 0 ? present.Average() : null, ious);
    }
}
