using Distill.Data;

namespace Distill.Cache.Tests;

/// <summary>
/// A cache records the teacher card's detection heads (anchors, grid) by column in <c>distill.detection</c>: they read
/// back as written, a head that does not fit its column (or names none) is refused as an inconsistent footer, and
/// --resume names a changed head.
/// </summary>
[TestClass]
public sealed class DetectionMetadataTests
{
    private static readonly DetectionHead Head = new(new[] { new[] { 14.0, 21 }, new[] { 24.0, 14 }, new[] { 26.0, 31 } }, new[] { 8, 8 });

    private static CacheMetadata TwoHeads(IReadOnlyDictionary<string, DetectionHead>? detection) => CacheFixtures.Metadata(11, labels: false) with
    {
        Outputs = new[] { new CacheOutput("seg", "logits", new[] { 11, 16, 16 }), new CacheOutput("det", "det", new[] { 192, 15 }) },
        Detection = detection,
    };

    [TestMethod]
    public void DetectionHeadsRoundTripThroughTheFooter()
    {
        var kv = TwoHeads(new Dictionary<string, DetectionHead> { ["det"] = Head }).ToKeyValues();
        Assert.AreEqual("{\"det\":{\"anchors\":[[14,21],[24,14],[26,31]],\"grid\":[8,8]}}", kv["distill.detection"]);
        var back = CacheMetadata.FromKeyValues(kv, "part-00000.parquet");
        Assert.HasCount(1, back.Detection!);
        CollectionAssert.AreEqual(new[] { 8, 8 }, back.Detection!["det"].Grid);
        CollectionAssert.AreEqual(new[] { 26.0, 31 }, back.Detection["det"].Anchors[2]);
        Assert.IsFalse(TwoHeads(null).ToKeyValues().ContainsKey("distill.detection"), "caches without detection heads keep their footer");
        Assert.IsNull(CacheMetadata.FromKeyValues(TwoHeads(null).ToKeyValues(), "p").Detection);
    }

    [TestMethod]
    public void AHeadThatDoesNotFitItsColumnOrNamesNoneIsRefused()
    {
        var wrongGrid = TwoHeads(new Dictionary<string, DetectionHead> { ["det"] = Head with { Grid = new[] { 4, 4 } } }).ToKeyValues();
        var e = Assert.ThrowsExactly<DistillException>(() => CacheMetadata.FromKeyValues(wrongGrid, "p.parquet"));
        Assert.AreEqual("p.parquet: metadata 'distill.detection' of column 'det': 3 anchors on a 4x4 grid make [48, 5 + K] per sample, the output is [192, 15]", e.Message);
        var noColumn = TwoHeads(new Dictionary<string, DetectionHead> { ["boxes"] = Head }).ToKeyValues();
        e = Assert.ThrowsExactly<DistillException>(() => CacheMetadata.FromKeyValues(noColumn, "p.parquet"));
        Assert.AreEqual("p.parquet: metadata 'distill.detection' names column 'boxes', which the cache does not have", e.Message);
        var noAnchors = TwoHeads(new Dictionary<string, DetectionHead> { ["det"] = Head with { Anchors = Array.Empty<double[]>() } }).ToKeyValues();
        e = Assert.ThrowsExactly<DistillException>(() => CacheMetadata.FromKeyValues(noAnchors, "p.parquet"));
        Assert.AreEqual("p.parquet: metadata 'distill.detection' of column 'det': it has no anchors", e.Message);
    }

    [TestMethod]
    public void ResumeNamesAChangedDetectionHead()
    {
        var a = TwoHeads(new Dictionary<string, DetectionHead> { ["det"] = Head });
        var b = TwoHeads(new Dictionary<string, DetectionHead> { ["det"] = Head with { Anchors = new[] { new[] { 10.0, 10 }, new[] { 20.0, 20 }, new[] { 30.0, 30 } } } });
        var d = a.Differences(b).Single();
        Assert.AreEqual("detection", d.Field);
        StringAssert.Contains(d.Other, "[[10, 10], [20, 20], [30, 30]]");
    }
}
