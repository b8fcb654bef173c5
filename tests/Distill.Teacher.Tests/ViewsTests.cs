using Distill.Cache;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher.Tests;

/// <summary>
/// --views V --augment crop:P,flip: V rows per sample with their view number and augmentation parameters; the logits
/// are the teacher's output on exactly that view (checked against a crop/flip written here from the definition and
/// run through ONNX Runtime directly), deterministic, and resumable.
/// </summary>
[TestClass]
public sealed class ViewsTests
{
    private const int Views = 3, Pad = 1;

    private static PrecomputeRequest Request(string? dir = null) =>
        ScaleFixtures.Request(new[] { "ensemble-a.onnx" }, dir) with
        {
            Views = Views, Augment = Augmentation.Parse($"crop:{Pad},flip"), AugmentSeed = 7, RowGroupSize = 6, BatchSize = 6,
        };

    // torchvision RandomCrop(4, padding=1) then RandomHorizontalFlip, on raw pixels, then normalize.
    private static float[] ViewOf(float[] raw, int cropX, int cropY, bool flip)
    {
        var padded = new float[6, 6];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) padded[y + Pad, x + Pad] = raw[y * 4 + x];
        var view = new float[16];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                float v = padded[y + cropY, x + cropX];
                view[y * 4 + (flip ? 3 - x : x)] = (float)((v / 255.0 - 0.5) / 0.25);
            }
        return view;
    }

    [TestMethod]
    public async Task EachRowIsTheTeachersOutputOnItsStoredView()
    {
        var req = Request();
        await LogitPrecomputer.RunAsync(req);
        var rows = await ScaleFixtures.ReadAll(req.OutputDirectory);
        using (var cache = LogitCacheReader.Open(req.OutputDirectory))
        {
            Assert.AreEqual(12L * Views, cache.RowCount);
            Assert.AreEqual(Views, cache.Metadata.Views);
            Assert.AreEqual("crop:1,flip", cache.Metadata.Augment);
        }
        var data = DatasetCatalog.Open(TestPaths.TinyIdx, "test");
        using var session = new InferenceSession(TestPaths.Fixture("ensemble-a.onnx"));
        var raw = new float[16];
        var seen = new HashSet<(int, int, int)>();
        int row = 0;
        foreach (var b in rows)
            for (int r = 0; r < b.Rows; r++, row++)
            {
                Assert.AreEqual(row / Views, b.Index[r], "rows are sample-major");
                Assert.AreEqual(row % Views, b.Views![r]);
                Assert.AreEqual(data.GetLabel(row / Views), b.Labels![r]);
                Assert.IsTrue(b.CropX![r] is >= 0 and <= 2 * Pad && b.CropY![r] is >= 0 and <= 2 * Pad && b.Flip![r] is 0 or 1);
                seen.Add((b.CropX[r], b.CropY[r], b.Flip[r]));
                data.ReadSamples(row / Views, 1, raw);
                var input = ViewOf(raw, b.CropX[r], b.CropY[r], b.Flip[r] == 1);
                using var value = OrtValue.CreateTensorValueFromMemory(input, new long[] { 1, 1, 4, 4 });
                using var output = session.Run(new RunOptions(), new[] { "input" }, new[] { value }, new[] { "logits" });
                var expected = output[0].GetTensorDataAsSpan<float>().ToArray();
                for (int c = 0; c < 3; c++) Assert.AreEqual(expected[c], b.RowLogits(r)[c], 1e-5, $"row {row} class {c}");
            }
        Assert.IsGreaterThan(5, seen.Count, "views differ");

        // Same seed: the same cache; another seed: other parameters.
        var again = await ScaleFixtures.ReadAll(Path.GetDirectoryName((await LogitPrecomputer.RunAsync(Request())).File)!);
        CollectionAssert.AreEqual(rows.SelectMany(b => b.Logits).ToArray(), again.SelectMany(b => b.Logits).ToArray());
        var other = req with { OutputDirectory = TestPaths.TempDir(), AugmentSeed = 8 };
        await LogitPrecomputer.RunAsync(other);
        CollectionAssert.AreNotEqual(rows.SelectMany(b => b.CropX!).ToArray(),
            (await ScaleFixtures.ReadAll(other.OutputDirectory)).SelectMany(b => b.CropX!).ToArray());
    }

    [TestMethod]
    public async Task ACancelledViewsRunResumesToThePlainRunAndShardsSplitBySample()
    {
        var plain = Request();
        await LogitPrecomputer.RunAsync(plain);
        var resumed = Request();
        using (var stop = new CancellationTokenSource())
            await Assert.ThrowsAsync<OperationCanceledException>(() =>
                LogitPrecomputer.RunAsync(resumed, done => { if (done >= 12) stop.Cancel(); }, ct: stop.Token));
        long kept = InterruptedCache.SegmentRows(resumed.OutputDirectory);
        Assert.IsTrue(kept is > 0 and < 36, $"the cancelled run left {kept} of 36 rows");
        var result = await LogitPrecomputer.RunAsync(resumed with { Resume = true });
        Assert.AreEqual(36 - kept, result.Computed, "the resumed run computed only the rows not kept");
        var a = await ScaleFixtures.ReadAll(plain.OutputDirectory);
        var b = await ScaleFixtures.ReadAll(resumed.OutputDirectory);
        CollectionAssert.AreEqual(a.SelectMany(x => x.Logits).ToArray(), b.SelectMany(x => x.Logits).ToArray());
        CollectionAssert.AreEqual(a.SelectMany(x => x.Flip!).ToArray(), b.SelectMany(x => x.Flip!).ToArray());

        var sharded = TestPaths.TempDir();
        for (int k = 1; k <= 2; k++) await LogitPrecomputer.RunAsync(Request(sharded) with { Shard = ShardSpec.Parse($"{k}/2") });
        var s = await ScaleFixtures.ReadAll(sharded);
        CollectionAssert.AreEqual(a.SelectMany(x => x.Logits).ToArray(), s.SelectMany(x => x.Logits).ToArray());
        CollectionAssert.AreEqual(a.SelectMany(x => x.Index).ToArray(), s.SelectMany(x => x.Index).ToArray());
    }

    [TestMethod]
    public void AugmentSpecsAreCheckedWithOneLineErrors()
    {
        Assert.AreEqual(new Augmentation(2, true), Augmentation.Parse("crop:2,flip"));
        Assert.AreEqual(Augmentation.None, Augmentation.Parse("none"));
        var e = Assert.ThrowsExactly<DistillException>(() => Augmentation.Parse("crop:x"));
        Assert.AreEqual("--augment: 'crop:x' is not crop:P (1 ≤ P ≤ 64) or flip", e.Message);
    }
}
