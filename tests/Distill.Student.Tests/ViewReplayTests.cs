using Distill.Cache;
using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

/// <summary>
/// A cache of augmented views: each training row's input is its sample with the row's stored crop/flip, checked
/// against the augmentation written out here from its definition (pad raw pixels with zeros, crop, flip, normalize).
/// </summary>
[TestClass]
public sealed class ViewReplayTests
{
    private const int N = 30, Views = 3, Pad = 1;
    private static readonly Preprocessing Pre = new(1 / 255.0, new[] { 0.5 }, new[] { 0.25 });

    private static float[] Expected(float[] raw, ViewParams p)
    {
        var view = new float[16];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                int sy = y + p.CropY - Pad, sx = x + p.CropX - Pad;
                float v = sy is >= 0 and < 4 && sx is >= 0 and < 4 ? raw[sy * 4 + sx] : 0f;
                view[y * 4 + (p.Flip ? 3 - x : x)] = (float)((v / 255.0 - 0.5) / 0.25);
            }
        return view;
    }

    [TestMethod]
    [DataRow(64L << 20)]
    [DataRow(1L)]   // streamed through the shuffle buffer
    public async Task EveryRowReplaysItsStoredView(long budget)
    {
        using var dir = new TempDir();
        var x = Path.Combine(dir.Path, "x.npy"); var y = Path.Combine(dir.Path, "y.npy");
        NpyDataset.WriteFloat32(x, new long[] { N, 1, 4, 4 }, i => (i * 37) % 256);
        NpyDataset.WriteInt64(y, Enumerable.Range(0, N).Select(i => (long)(i % 2)).ToArray());
        using var data = NpyDataset.Open($"npy:{x},{y}", $"{x},{y}", "train");
        var augment = Augmentation.Parse($"crop:{Pad},flip");
        var meta = new CacheMetadata
        {
            TeacherFile = "t.onnx", TeacherSha256 = "00", Outputs = new[] { new CacheOutput("logits", "logits", new[] { 2 }) },
            ClassCount = 2, DatasetName = data.Name, Split = "train", DatasetCount = N, Fingerprint = data.Fingerprint,
            SampleShape = data.SampleShape, Preprocessing = Pre, InputName = "input", HasLabels = true,
            Views = Views, Augment = augment.ToString(), AugmentSeed = 3,
        };
        var cacheDir = Path.Combine(dir.Path, "cache");
        await using (var w = await LogitCacheWriter.CreateAsync(cacheDir, meta, overwrite: true, rowGroupSize: 7))
        {
            int rows = N * Views;
            var p = Enumerable.Range(0, rows).Select(r => augment.ParamsFor(3, r / Views, r % Views)).ToArray();
            await w.WriteAsync(new LogitBatch
            {
                Rows = rows, ClassCount = 2, Index = Enumerable.Range(0, rows).Select(r => (long)(r / Views)).ToArray(),
                Labels = Enumerable.Range(0, rows).Select(r => r / Views % 2).ToArray(),
                // The logits name their row: (sample, view).
                Logits = Enumerable.Range(0, rows).SelectMany(r => new[] { (float)(r / Views), r % Views }).ToArray(),
                Views = Enumerable.Range(0, rows).Select(r => r % Views).ToArray(),
                CropX = p.Select(v => v.CropX).ToArray(), CropY = p.Select(v => v.CropY).ToArray(), Flip = p.Select(v => v.Flip ? 1 : 0).ToArray(),
            });
            await w.CompleteAsync();
        }
        using var cache = LogitCacheReader.Open(cacheDir);
        var source = new CachedBatchSource(new CacheLogitSource(cache), data, Pre, 8, seed: 1, budget);
        await source.PrepareAsync();
        var seen = new HashSet<(int, int)>();
        var raw = new float[16];
        foreach (var b in source.Epoch(1))
            for (int r = 0; r < b.Rows; r++)
            {
                int sample = (int)b.TeacherLogits[2 * r], view = (int)b.TeacherLogits[2 * r + 1];
                Assert.IsTrue(seen.Add((sample, view)), "each (sample, view) once per epoch");
                data.ReadSamples(sample, 1, raw);
                var expected = Expected(raw, augment.ParamsFor(3, sample, view));
                var actual = b.Inputs.AsSpan(r * 16, 16).ToArray();
                for (int i = 0; i < 16; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"sample {sample} view {view} pixel {i}");
            }
        Assert.HasCount(N * Views, seen);
    }
}
