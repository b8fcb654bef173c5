using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Tests;

/// <summary>
/// A real npy dataset (300 samples of [4], 3 classes, separable) and its logits cache on disk, for tests that go
/// through <see cref="TrainingData.Open"/> and <see cref="Distiller"/>.
/// </summary>
internal static class TinyNpyCache
{
    public const int Classes = 3;
    public const int Features = 4;

    /// <summary>
    /// Writes the dataset and a cache "made by" a teacher with <paramref name="teacherSha256"/>; returns the cache folder.
    /// With <paramref name="features"/>, the cache also holds a column "features" [2] = 2 · (x₀, x₁) of each sample
    /// (what a teacher's hidden layer might store).
    /// </summary>
    public static async Task<string> CreateAsync(string dir, string teacherSha256 = "00", string name = "cache", bool features = false)
    {
        var x = Path.Combine(dir, "x.npy"); var y = Path.Combine(dir, "y.npy");
        var labels = Enumerable.Range(0, 300).Select(i => (long)(i % Classes)).ToArray();
        NpyDataset.WriteFloat32(x, new long[] { 300, Features }, k => (k % Features == labels[k / Features] ? 2f : 0f) + (float)((k * 7919 % 13) / 13.0));
        NpyDataset.WriteInt64(y, labels);
        var spec = $"npy:{x},{y}";
        var cache = Path.Combine(dir, name);
        using var ds = (NpyDataset)DatasetCatalog.Open(spec, "train");
        var meta = new CacheMetadata
        {
            TeacherFile = "t.onnx", TeacherSha256 = teacherSha256, Outputs = features
                ? new[] { new CacheOutput("logits", "logits", new[] { Classes }), new CacheOutput("/feat", "features", new[] { 2 }) }
                : new[] { new CacheOutput("logits", "logits", new[] { Classes }) },
            ClassCount = Classes, DatasetName = spec, Split = "train", DatasetCount = 300, Fingerprint = ds.Fingerprint,
            SampleShape = ds.SampleShape, Preprocessing = new Preprocessing(1, new[] { 0.0 }, new[] { 1.0 }), InputName = "input", HasLabels = true,
        };
        await using var w = await LogitCacheWriter.CreateAsync(cache, meta, true, rowGroupSize: 64);
        var logits = new float[300 * Classes];
        for (int i = 0; i < 300; i++) logits[i * Classes + labels[i]] = 4;
        var index = Enumerable.Range(0, 300).Select(i => (long)i).ToArray();
        if (features)
        {
            var inputs = new float[300 * Features];
            ds.ReadSamples(0, 300, inputs);
            var f = new float[300 * 2];
            for (int i = 0; i < 300; i++) { f[2 * i] = 2 * inputs[i * Features]; f[2 * i + 1] = 2 * inputs[i * Features + 1]; }
            await w.WriteAsync(new LogitBatch { Rows = 300, ClassCount = Classes, Index = index, Labels = labels.Select(l => (int)l).ToArray(), Logits = logits, Extra = new[] { f } });
        }
        else await w.WriteAsync(index, labels.Select(l => (int)l).ToArray(), logits);
        await w.CompleteAsync();
        return cache;
    }
}
