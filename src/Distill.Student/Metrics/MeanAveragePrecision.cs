using Distill.Data;

namespace Distill.Student.Metrics;

/// <summary>Per-class average precision (null for a class without ground truth) and their mean (null when no class has any).</summary>
public sealed record MapResult(double? Map, double?[] PerClass);

/// <summary>
/// Detection mAP as PASCAL VOC computes it (Everingham et al., IJCV 2010; all-point interpolation of VOC2010+): per
/// class, the detections of all images in descending score order (stable: earlier images first on ties); a detection is
/// a true positive when its best-IoU ground truth of that class in its image reaches the match IoU and is not matched
/// yet, else a false positive; AP is the area under the monotone envelope of precision over recall. Classes without
/// ground truth are left out of the mean and their detections count nowhere.
/// </summary>
public sealed class MeanAveragePrecision
{
    private readonly int _classes;
    private readonly double _matchIou;
    private readonly List<(double Score, int Image, BoxCorners Box)>[] _detections;
    private readonly List<List<BoxCorners>[]> _truths = new();   // per image, per class

    public MeanAveragePrecision(int classCount, double matchIou = 0.5)
    {
        _classes = classCount;
        _matchIou = matchIou;
        _detections = Enumerable.Range(0, classCount).Select(_ => new List<(double, int, BoxCorners)>()).ToArray();
    }

    /// <summary>Adds one image: its final detections (after threshold and NMS) and its labelled boxes.</summary>
    public void Add(IEnumerable<Detection> detections, IEnumerable<ObjectBox> truths)
    {
        int image = _truths.Count;
        var perClass = Enumerable.Range(0, _classes).Select(_ => new List<BoxCorners>()).ToArray();
        foreach (var t in truths)
        {
            if ((uint)t.ClassIndex >= _classes) throw new ArgumentException($"ground-truth class {t.ClassIndex} outside [0, {_classes})");
            perClass[t.ClassIndex].Add(BoxCorners.Of(t));
        }
        _truths.Add(perClass);
        foreach (var d in detections)
        {
            if ((uint)d.ClassIndex >= _classes) throw new ArgumentException($"detected class {d.ClassIndex} outside [0, {_classes})");
            _detections[d.ClassIndex].Add((d.Score, image, d.Box));
        }
    }

    public MapResult Compute()
    {
        var aps = new double?[_classes];
        for (int c = 0; c < _classes; c++)
        {
            int positives = _truths.Sum(t => t[c].Count);
            if (positives == 0) continue;
            var matched = _truths.Select(t => new bool[t[c].Count]).ToArray();
            var ranked = _detections[c].OrderByDescending(d => d.Score).ToArray();
            var truePositive = new bool[ranked.Length];
            for (int i = 0; i < ranked.Length; i++)
            {
                var (_, image, box) = ranked[i];
                var truths = _truths[image][c];
                int best = -1;
                double bestIou = double.NegativeInfinity;
                for (int g = 0; g < truths.Count; g++)
                {
                    double iou = BoxCorners.Iou(box, truths[g]);
                    if (iou > bestIou) (best, bestIou) = (g, iou);
                }
                if (best >= 0 && bestIou >= _matchIou && !matched[image][best])
                    matched[image][best] = truePositive[i] = true;
            }
            aps[c] = AllPointAp(truePositive, positives);
        }
        var present = aps.Where(a => a is not null).Select(a => a!.Value).ToArray();
        return new MapResult(present.Length > 0 ? present.Average() : null, aps);
    }

    /// <summary>Area under the precision envelope: Σ (r_i − r_{i−1}) · max_{j ≥ i} p_j over the ranked detections.</summary>
    public static double AllPointAp(IReadOnlyList<bool> truePositive, int positives)
    {
        int n = truePositive.Count;
        var recall = new double[n];
        var precision = new double[n];
        int tp = 0;
        for (int i = 0; i < n; i++)
        {
            if (truePositive[i]) tp++;
            recall[i] = (double)tp / positives;
            precision[i] = (double)tp / (i + 1);
        }
        for (int i = n - 2; i >= 0; i--) precision[i] = Math.Max(precision[i], precision[i + 1]);
        double ap = 0, previous = 0;
        for (int i = 0; i < n; i++)
        {
            ap += (recall[i] - previous) * precision[i];
            previous = recall[i];
        }
        return ap;
    }
}
