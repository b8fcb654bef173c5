using Distill.Data;
using Distill.Student.Students;
using static TorchSharp.torch;

namespace Distill.Student.Tests.Multitask;

/// <summary>
/// multitask-small mirrors the teacher's heads as the cache describes them: outputs named as the teacher's (seg, det),
/// seg [11, 16, 16] at stride 4 and det [192, 15] (3 anchors on the 8×8 grid), anchor-major rows as YOLOv5's view; a
/// cache that lacks a head, or heads at other strides, is refused in one line.
/// </summary>
[TestClass]
public sealed class MultitaskStudentTests
{
    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator
    public void TheStudentHasTheTeachersTwoHeadsAndAQuarterOfItsParameters()
    {
        var heads = ScenesFixture.Heads;
        Assert.AreEqual("segmentation 'seg' [11, 16, 16], detection 'det' [192, 15]", heads.ToString());
        manual_seed(3);
        using var m = (LayerStudent)StudentRegistry.Create("multitask-small", new[] { 1, 64, 64 }, 11, heads);
        CollectionAssert.AreEqual(new[] { "seg", "det" }, m.OutputNames.ToArray());
        using var scope = NewDisposeScope();
        m.eval();
        var x = randn(2, 1, 64, 64);
        var outputs = m.ForwardTaps(x, new[] { "layer3" });
        CollectionAssert.AreEqual(new long[] { 2, 11, 16, 16 }, outputs["seg"].shape);
        CollectionAssert.AreEqual(new long[] { 2, 192, 15 }, outputs["det"].shape);
        CollectionAssert.AreEqual(new long[] { 2, 64, 8, 8 }, outputs["layer3"].shape);
        Assert.IsFalse(outputs.ContainsKey("logits"), "a multi-task student has no logits");
        Assert.AreEqual(0f, (m.forward(x) - outputs["seg"]).abs().max().item<float>(), "forward() is the first head");
        var described = StudentOutputs.Describe(m, new[] { 1, 64, 64 });
        CollectionAssert.AreEqual(new[] { "layer2", "layer3", "seg", "det" }, described.Select(d => d.Name).ToArray());
        long parameters = m.parameters().Sum(p => p.numel());
        Assert.AreEqual(118_776L, parameters);
        Assert.IsLessThan(466_336L / 3, parameters, "fewer channels than the teacher's 466,336 parameters");
    }

    [TestMethod]
    public void DetectionRowsAreAnchorMajorAsYoloV5sView()
    {
        // Channel ch = a·(5 + K) + v at cell (gy, gx) holds 1000·ch + 10·gy + gx; row a·GH·GW + gy·GW + gx, column v must.
        using var scope = NewDisposeScope();
        const int a = 2, size = 6, gh = 3, gw = 4;
        var x = zeros(1, a * size, gh, gw);
        for (int ch = 0; ch < a * size; ch++)
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++) x[0, ch, gy, gx] = 1000 * ch + 10 * gy + gx;
        var rows = new DetectionGrid(a, size).call(x);
        CollectionAssert.AreEqual(new long[] { 1, a * gh * gw, size }, rows.shape);
        for (int anchor = 0; anchor < a; anchor++)
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++)
                    for (int v = 0; v < size; v++)
                        Assert.AreEqual(1000f * (anchor * size + v) + 10 * gy + gx, rows[0, anchor * gh * gw + gy * gw + gx, v].item<float>());
    }

    [TestMethod]
    public void ACacheWithoutBothHeadsOrWithOtherStridesIsRefused()
    {
        var noDetection = DenseHeads.FromCache(ScenesFixture.Metadata(new Dictionary<string, DetectionHead>()) with { Detection = null });
        var e = Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("multitask-small", new[] { 1, 64, 64 }, 11, noDetection));
        Assert.AreEqual("student 'multitask-small' mirrors a teacher's segmentation map and detection head: the cache must hold both " +
            "(precompute-logits --output SEG --output DET with the teacher card's anchors and grid; this cache has segmentation 'seg' [11, 16, 16])", e.Message);
        e = Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("multitask-small", new[] { 1, 64, 64 }, 11, null));
        StringAssert.EndsWith(e.Message, "this cache has neither)");
        var coarse = ScenesFixture.Metadata(new Dictionary<string, DetectionHead> { ["det"] = ScenesFixture.Head with { Grid = new[] { 4, 4 } } }) with
        {
            Outputs = new[] { new Distill.Cache.CacheOutput("seg", "logits", new[] { 11, 16, 16 }), new Distill.Cache.CacheOutput("det", "det", new[] { 48, 15 }) },
        };
        e = Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("multitask-small", new[] { 1, 64, 64 }, 11, DenseHeads.FromCache(coarse)));
        Assert.AreEqual("student 'multitask-small' has its segmentation head at stride 4 and its detection head at stride 8 ([C, 16, 16] and a 8x8 grid on 64x64 inputs); the teacher's are [11, 16, 16] and a 4x4 grid", e.Message);
        e = Assert.ThrowsExactly<DistillException>(() => StudentRegistry.Create("multitask-small", new[] { 784 }, 11, ScenesFixture.Heads));
        Assert.AreEqual("student 'multitask-small' needs image samples [C, H, W] with H and W multiples of 8, the dataset has [784]", e.Message);
    }
}
