using Distill.Data;
using Distill.Student.Metrics;

namespace Distill.Student.Tests.Metrics;

/// <summary>mAP@0.5, NMS, decoding and mIoU on cases worked out by hand.</summary>
[TestClass]
public sealed class MetricHandTests
{
    private static ObjectBox Truth(int c, double x0, double y0, double x1, double y1) =>
        new(c, (float)((x0 + x1) / 2), (float)((y0 + y1) / 2), (float)(x1 - x0), (float)(y1 - y0));

    private static Detection Det(int c, double score, double x0, double y0, double x1, double y1) => new(c, score, new BoxCorners(x0, y0, x1, y1));

    private static MapResult Map(int classes, params (Detection[] Dets, ObjectBox[] Truths)[] images)
    {
        var map = new MeanAveragePrecision(classes);
        foreach (var (d, t) in images) map.Add(d, t);
        return map.Compute();
    }

    [TestMethod]
    public void APerfectPredictionScoresOne()
    {
        var r = Map(2,
            (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5), Det(1, 0.8, 0.5, 0.5, 1, 1) }, new[] { Truth(0, 0, 0, 0.5, 0.5), Truth(1, 0.5, 0.5, 1, 1) }),
            (new[] { Det(1, 0.7, 0.1, 0.1, 0.3, 0.3) }, new[] { Truth(1, 0.1, 0.1, 0.3, 0.3) }));
        Assert.AreEqual(1.0, r.Map!.Value, 1e-12);
        CollectionAssert.AreEqual(new double?[] { 1.0, 1.0 }, r.PerClass);
    }

    [TestMethod]
    public void NoDetectionsScoreZeroAndNoLabelsLeaveMapUndefined()
    {
        var none = Map(2, (Array.Empty<Detection>(), new[] { Truth(0, 0, 0, 0.5, 0.5) }));
        Assert.AreEqual(0.0, none.Map);
        CollectionAssert.AreEqual(new double?[] { 0.0, null }, none.PerClass, "class 1 has no ground truth: no AP");

        var noLabels = Map(2, (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5) }, Array.Empty<ObjectBox>()));
        Assert.IsNull(noLabels.Map, "no ground truth at all: mAP undefined, not 0 or 1");
        CollectionAssert.AreEqual(new double?[] { null, null }, noLabels.PerClass);
    }

    [TestMethod]
    public void ADuplicateDetectionIsAFalsePositive()
    {
        // Same box twice: the higher-scored one matches, the duplicate is a false positive below it: precision at
        // recall 1 is still 1, so AP = 1. With the duplicate scored above a second object's only detection, that
        // object's true positive comes at rank 3: recall 0.5, 0.5, 1 and precision 1, 1/2, 2/3: AP = 0.5 + 0.5 · 2/3.
        var dup = Map(1, (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5), Det(0, 0.8, 0, 0, 0.5, 0.5) }, new[] { Truth(0, 0, 0, 0.5, 0.5) }));
        Assert.AreEqual(1.0, dup.Map!.Value, 1e-12);

        var ranked = Map(1, (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5), Det(0, 0.8, 0, 0, 0.5, 0.5), Det(0, 0.7, 0.5, 0.5, 1, 1) },
            new[] { Truth(0, 0, 0, 0.5, 0.5), Truth(0, 0.5, 0.5, 1, 1) }));
        Assert.AreEqual(0.5 + 0.5 * 2.0 / 3.0, ranked.Map!.Value, 1e-12);
    }

    [TestMethod]
    public void DetectionsOfAClassWithoutGroundTruthCountNowhere()
    {
        // Class 1 has no ground truth: its confident detection neither lowers class 0's AP nor enters the mean.
        var r = Map(3, (new[] { Det(1, 0.99, 0, 0, 0.5, 0.5), Det(0, 0.5, 0, 0, 0.5, 0.5) }, new[] { Truth(0, 0, 0, 0.5, 0.5), Truth(2, 0.5, 0.5, 1, 1) }));
        CollectionAssert.AreEqual(new double?[] { 1.0, null, 0.0 }, r.PerClass);
        Assert.AreEqual(0.5, r.Map!.Value, 1e-12);
    }

    [TestMethod]
    public void MatchingNeedsIoUOfAtLeastHalfAndTheRightClassAndImage()
    {
        // [0, 0.5] x [0, 0.5] against [0, 0.5] x [0, 1]: IoU 0.25 / 0.5 = 0.5, a match (>=); [0, 0.5] x [0, 0.49]:
        // IoU 0.245 / 0.5 < 0.5, no match. A box of the right place in another image does not match.
        Assert.AreEqual(1.0, Map(1, (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5) }, new[] { Truth(0, 0, 0, 0.5, 1) })).Map);
        Assert.AreEqual(0.0, Map(1, (new[] { Det(0, 0.9, 0, 0, 0.5, 0.49) }, new[] { Truth(0, 0, 0, 0.5, 1) })).Map);
        Assert.AreEqual(0.0, Map(2, (new[] { Det(1, 0.9, 0, 0, 0.5, 0.5) }, new[] { Truth(0, 0, 0, 0.5, 0.5) })).Map, "wrong class");
        var other = Map(1, (Array.Empty<Detection>(), new[] { Truth(0, 0, 0, 0.5, 0.5) }), (new[] { Det(0, 0.9, 0, 0, 0.5, 0.5) }, Array.Empty<ObjectBox>()));
        Assert.AreEqual(0.0, other.Map, "the detection is in the other image");
    }

    [TestMethod]
    public void AllPointInterpolationTakesThePrecisionEnvelope()
    {
        // 3 positives; ranked TP FP TP FP TP: recall 1/3, 1/3, 2/3, 2/3, 1; precision 1, 1/2, 2/3, 2/4, 3/5.
        // Envelope at the recall steps: 1, 2/3, 3/5 -> AP = (1 + 2/3 + 3/5) / 3.
        Assert.AreEqual((1 + 2.0 / 3 + 3.0 / 5) / 3, MeanAveragePrecision.AllPointAp(new[] { true, false, true, false, true }, 3), 1e-12);
        // A missed positive caps recall at 1/2: AP = 1/2 · 1.
        Assert.AreEqual(0.5, MeanAveragePrecision.AllPointAp(new[] { true }, 2), 1e-12);
        Assert.AreEqual(0.0, MeanAveragePrecision.AllPointAp(Array.Empty<bool>(), 2));
    }

    [TestMethod]
    public void NmsSuppressesOverlapsAboveTheThresholdWithinAClass()
    {
        var a = Det(0, 0.9, 0, 0, 1, 1);
        var overlap = Det(0, 0.8, 0, 0, 1, 0.6);        // IoU 0.6 > 0.5: dropped
        var half = Det(0, 0.7, 0, 0, 1, 0.5);           // IoU 0.5 with a: kept (only > drops), IoU with overlap 0.5/0.6 but overlap is gone
        var otherClass = Det(1, 0.6, 0, 0, 1, 1);       // same box, other class: kept
        var kept = Nms.PerClass(new[] { half, otherClass, overlap, a }, 0.5);
        CollectionAssert.AreEqual(new[] { a, half, otherClass }, kept, "kept in descending score order");
    }

    [TestMethod]
    public void DecodeFollowsTheYoloV5Parametrisation()
    {
        // 2 anchors on a 2x2 grid over a 16x16 input (stride 8), 2 classes: rows a·4 + gy·2 + gx.
        var layout = new YoloHeadLayout(new[] { (4.0, 8.0), (12.0, 6.0) }, 2, 2, 16, 16, 2);
        var det = new float[8 * 7];
        // Row 7 = anchor 1, gy 1, gx 1: tx = 0 (σ 0.5: offset 0.5), ty = ln 3 (σ 0.75: offset 1.0), tw = 0 (w = anchor),
        // th = ln 3 (h = (1.5)² · 6 = 13.5), objectness ln 4 (σ 0.8), class logits 1 and ln 3 (σ 0.75): class 1.
        float ln3 = MathF.Log(3), ln4 = MathF.Log(4);
        new[] { 0f, ln3, 0f, ln3, ln4, 1f, ln3 }.CopyTo(det, 7 * 7);
        var d = layout.Decode(det);
        Assert.HasCount(8, d);
        var r = d[7];
        Assert.AreEqual(1, r.ClassIndex, "argmax of logits 1 and ln 3 = 1.0986");
        Assert.AreEqual(0.8 * 0.75, r.Score, 1e-6);
        double cx = (0.5 + 1) * 8 / 16, cy = (1.0 + 1) * 8 / 16, w = 12.0 / 16, h = 13.5 / 16;
        Assert.AreEqual(cx - w / 2, r.Box.X0, 1e-6);
        Assert.AreEqual(cx + w / 2, r.Box.X1, 1e-6);
        Assert.AreEqual(cy - h / 2, r.Box.Y0, 1e-6);
        Assert.AreEqual(cy + h / 2, r.Box.Y1, 1e-6);
        // Row 2 = anchor 0, gy 1, gx 0, all zeros: centre (0.5, 1.5) cells, anchor size, score 0.25, class 0 (first max).
        Assert.AreEqual(new Detection(0, 0.25, BoxCorners.FromCenter(0.5 * 8 / 16, 1.5 * 8 / 16, 4.0 / 16, 8.0 / 16)), d[2]);
    }

    [TestMethod]
    public void MIoUFromOneConfusionMatrixLeavingOutClassesAbsentFromBoth()
    {
        // 3 classes, one 2x2 output per image. Image 1: prediction 0 1 / 1 1, truth 0 1 / 0 1.
        // Image 2: prediction 0 0 / 0 0, truth 0 0 / 0 1. Class 2 appears nowhere: no IoU.
        // Class 0: TP 1 + 3, predicted 1 + 4, truth 2 + 3 -> 4 / (5 + 5 - 4) = 4/6.
        // Class 1: TP 2, predicted 3, truth 2 + 1 -> 2 / (3 + 3 - 2) = 2/4.
        float[] Logits(params int[] argmax) => argmax.Length == 4
            ? Enumerable.Range(0, 3).SelectMany(c => argmax.Select(a => a == c ? 1f : 0f)).ToArray() : throw new ArgumentException();
        var seg = Logits(0, 1, 1, 1).Concat(Logits(0, 0, 0, 0)).ToArray();
        var masks = new byte[] { 0, 1, 0, 1, 0, 0, 0, 1 };
        var miou = new SegmentationIou(3);
        miou.Add(seg, masks, 2, 2, 2);
        var r = miou.Compute();
        CollectionAssert.AreEqual(new double?[] { 4.0 / 6, 2.0 / 4, null }, r.PerClass);
        Assert.AreEqual((4.0 / 6 + 2.0 / 4) / 2, r.MeanIou!.Value, 1e-12);

        // Full-resolution masks: 4x4 -> 2x2 takes pixels (1,1), (3,1), (1,3), (3,3).
        var full = new byte[16];
        full[1 * 4 + 3] = 1; full[3 * 4 + 3] = 1; full[0] = 1;   // (0,0) is not sampled
        var fromFull = new SegmentationIou(3);
        fromFull.AddFullResolution(Logits(0, 1, 0, 1), full, 1, 2, 2, 4, 4);
        CollectionAssert.AreEqual(new double?[] { 1.0, 1.0, null }, fromFull.Compute().PerClass);
        Assert.IsNull(new SegmentationIou(3).Compute().MeanIou, "nothing added: undefined");
    }
}
