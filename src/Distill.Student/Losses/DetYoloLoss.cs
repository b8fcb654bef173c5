using Distill.Data;
using Distill.Student.Metrics;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>det_yolo's parameters: the weights of its box, objectness and class terms (models/fmnist-scenes/train.py's 1, 4, 1).</summary>
public sealed record DetYoloParameters : LossParameters
{
    public double BoxWeight { get; init; } = 1.0;
    public double ObjWeight { get; init; } = 4.0;
    public double ClsWeight { get; init; } = 1.0;

    public override void Validate(string loss)
    {
        NonNegative(loss, "box_weight", BoxWeight);
        NonNegative(loss, "obj_weight", ObjWeight);
        NonNegative(loss, "cls_weight", ClsWeight);
    }
}

/// <summary>
/// The detection label loss of a YOLO-style head [N, A·GH·GW, 5 + K] (seed 003's calc_det_loss), as
/// models/fmnist-scenes/train.py trains its teacher, in YOLOv5's parametrisation (Jocher et al. 2020):
/// <list type="bullet">
/// <item>Assignment: each labelled box goes to the grid cell holding its centre (gx = min(⌊cx·GW⌋, GW − 1), likewise
/// gy) and to the anchor whose shape best matches it, by the IoU of the two sizes aligned at one corner
/// (min(aw, w)·min(ah, h) / (aw·ah + w·h − that)); first anchor on ties. Two boxes may share a cell and anchor.</item>
/// <item>Box: at each assigned row, the decoded box cx = (2σ(tx) − 0.5 + gx)·stride, w = (2σ(tw))²·anchor w (input pixels)
/// against the labelled box in pixels, 1 − GIoU (Rezatofighi et al., CVPR 2019), mean over the boxes.</item>
/// <item>Objectness: BCE with logits over every row of every image, target 1 at assigned rows, else 0, mean.</item>
/// <item>Classes: BCE with logits of the K class logits at each assigned row against the one-hot class, mean.</item>
/// </list>
/// Loss = box_weight · box + obj_weight · objectness + cls_weight · classes; a batch without boxes has the objectness
/// term alone. The layout (anchors, grid, input size) is the student output's, from the teacher's cache (bound once).
/// </summary>
public sealed class DetYoloLoss(DetYoloParameters parameters) : DistillationLoss
{
    private YoloHeadLayout? _layout;

    public override string Name => "det_yolo";
    public override LossParameters Parameters => parameters;
    public override bool NeedsTeacher => false;
    public override IReadOnlyList<string> DatasetTargets { get; } = new[] { DenseTargetLayout.Boxes };
    public override string? ShapeProblem(long[] student, long[] teacher) => null;   // no teacher column

    public override string? BindTargets(string output, long[] student, DenseTargetLayout layout)
    {
        if (!layout.DetectionHeads.TryGetValue(output, out var head))
            return $"it takes a detection head with anchors, and the student output '{output}' [{string.Join(", ", student)}] is none" +
                (layout.DetectionHeads.Count == 0 ? " (the cache records no detection head)" : $" (detection heads: {string.Join(", ", layout.DetectionHeads.Keys)})");
        if (student is not [var rows, var size] || rows != head.Rows || size != head.RowSize)
            return $"the student output '{output}' is [{string.Join(", ", student)}], its detection head [{head.Rows}, {head.RowSize}] ({head.Anchors.Count} anchors on a {head.GridHeight}x{head.GridWidth} grid)";
        if (layout.BoxClasses is int k && k != head.ClassCount)
            return $"the student output '{output}' detects {head.ClassCount} classes, the dataset's boxes have {k}";
        _layout = head;
        return null;
    }

    /// <summary>Binds the head's layout directly (for evaluating cases without an objective).</summary>
    public DetYoloLoss WithLayout(YoloHeadLayout layout)
    {
        _layout = layout;
        return this;
    }

    /// <summary>One labelled box assigned to a row: batch image, anchor, cell, class and the box in input pixels.</summary>
    private readonly record struct Assigned(int Image, int Anchor, int Gy, int Gx, int Class, float Cx, float Cy, float W, float H);

    public override Tensor Forward(LossBatch batch)
    {
        var layout = _layout ?? throw new InvalidOperationException($"loss '{Name}' was not bound to a detection head");
        var det = batch.Student;
        var boxes = batch.Targets.GetValueOrDefault(DenseTargetLayout.Boxes)
            ?? throw new DistillException($"loss '{Name}' needs the dataset's boxes, but the batch has none");
        long n = det.shape[0], rows = det.shape[1], size = det.shape[2];
        var assigned = Assign(boxes, layout);
        var objTarget = zeros(n, rows, dtype: det.dtype, device: det.device);
        var obj = det.select(2, 4);
        if (assigned.Length == 0)
            return nn.functional.binary_cross_entropy_with_logits(obj, objTarget) * parameters.ObjWeight;

        int cells = layout.GridHeight * layout.GridWidth;
        var flat = assigned.Select(a => (long)a.Image * rows + a.Anchor * cells + a.Gy * layout.GridWidth + a.Gx).ToArray();
        var at = tensor(flat, device: det.device);
        objTarget.view(-1).index_fill_(0, at, 1.0);
        var p = det.reshape(n * rows, size).index_select(0, at);                     // [M, 5 + K]
        var s = p.narrow(1, 0, 4).sigmoid();
        double strideX = (double)layout.InputWidth / layout.GridWidth, strideY = (double)layout.InputHeight / layout.GridHeight;
        var cell = tensor(assigned.SelectMany(a => new float[] { a.Gx, a.Gy }).ToArray(), device: det.device).view(-1, 2).to(det.dtype);
        var stride = tensor(new[] { (float)strideX, (float)strideY }, device: det.device).to(det.dtype);
        var anchors = tensor(assigned.SelectMany(a => new[] { (float)layout.Anchors[a.Anchor].Width, (float)layout.Anchors[a.Anchor].Height }).ToArray(),
            device: det.device).view(-1, 2).to(det.dtype);
        var pxy = (2 * s.narrow(1, 0, 2) - 0.5 + cell) * stride;
        var pwh = (2 * s.narrow(1, 2, 2)).square() * anchors;
        var truth = tensor(assigned.SelectMany(a => new[] { a.Cx, a.Cy, a.W, a.H }).ToArray(), device: det.device).view(-1, 4);
        var box = (1 - Giou(cat(new[] { pxy, pwh }, 1), truth)).mean();
        var classes = tensor(assigned.Select(a => (long)a.Class).ToArray(), device: det.device);
        var oneHot = nn.functional.one_hot(classes, size - 5).to(det.dtype);
        var cls = nn.functional.binary_cross_entropy_with_logits(p.narrow(1, 5, size - 5), oneHot);
        var objLoss = nn.functional.binary_cross_entropy_with_logits(obj, objTarget);
        return box * parameters.BoxWeight + objLoss * parameters.ObjWeight + cls * parameters.ClsWeight;
    }

    /// <summary>
    /// The assignment rule above, on the host in float32 as the teacher's script computes it (numpy float32 boxes):
    /// rows of <paramref name="boxes"/> are (batch row, class, cx, cy, w, h) normalized.
    /// </summary>
    private static Assigned[] Assign(Tensor boxes, YoloHeadLayout layout)
    {
        if (boxes.shape[0] == 0) return Array.Empty<Assigned>();
        var v = boxes.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var result = new Assigned[v.Length / 6];
        for (int i = 0; i < result.Length; i++)
        {
            var r = v.AsSpan(i * 6, 6);
            float cx = r[2], cy = r[3], w = r[4] * layout.InputWidth, h = r[5] * layout.InputHeight;
            int gx = Math.Min((int)(cx * layout.GridWidth), layout.GridWidth - 1), gy = Math.Min((int)(cy * layout.GridHeight), layout.GridHeight - 1);
            int best = 0;
            float bestIou = float.NegativeInfinity;
            for (int a = 0; a < layout.Anchors.Count; a++)
            {
                float aw = (float)layout.Anchors[a].Width, ah = (float)layout.Anchors[a].Height;
                float inter = Math.Min(aw, w) * Math.Min(ah, h);
                float iou = inter / (aw * ah + w * h - inter);
                if (iou > bestIou) (best, bestIou) = (a, iou);
            }
            result[i] = new Assigned((int)r[0], best, gy, gx, (int)r[1], cx * layout.InputWidth, cy * layout.InputHeight, w, h);
        }
        return result;
    }

    /// <summary>
    /// Generalized IoU of predicted boxes [M, 4] (cx, cy, w, h) with the labelled ones (float32, whose corners and area
    /// are computed in float32 as the teacher's script computes them from its float32 targets), Rezatofighi et al., CVPR 2019.
    /// </summary>
    private static Tensor Giou(Tensor p, Tensor truth)
    {
        Tensor Lo(Tensor b) => b.narrow(1, 0, 2) - b.narrow(1, 2, 2) / 2;
        Tensor Hi(Tensor b) => b.narrow(1, 0, 2) + b.narrow(1, 2, 2) / 2;
        var (p0, p1) = (Lo(p), Hi(p));
        var (t0, t1, tArea) = (Lo(truth).to(p.dtype), Hi(truth).to(p.dtype), truth.narrow(1, 2, 2).prod(1).to(p.dtype));
        var inter = (minimum(p1, t1) - maximum(p0, t0)).clamp_min(0).prod(1);
        var union = p.narrow(1, 2, 2).prod(1) + tArea - inter;
        var hull = (maximum(p1, t1) - minimum(p0, t0)).prod(1);
        return inter / union - (hull - union) / hull;
    }
}
