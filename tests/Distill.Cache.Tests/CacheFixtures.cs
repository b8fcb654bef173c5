using Distill.Cache;
using Distill.Data;

namespace Distill.Cache.Tests;

/// <summary>Small caches with known contents, written through the real writer.</summary>
internal static class CacheFixtures
{
    public static string TempDir() => TempFolder.Create("distill-cache-tests");

    public static CacheMetadata Metadata(int classes, bool labels = true, string split = "train", int count = 1000,
        string fingerprint = "ab12cd34ef56ab12cd34ef56", CacheEncoding? encoding = null) => new()
    {
        TeacherFile = "teacher.onnx",
        TeacherSha256 = new string('7', 64),
        Outputs = new[] { new CacheOutput("logits", "logits", new[] { classes }) },
        Codecs = encoding?.CodecsFor(new[] { new CacheOutput("logits", "logits", new[] { classes }) }, classes, labels),
        Compression = encoding?.ResolvedCompression ?? CacheCompression.None,
        ClassCount = classes,
        DatasetName = "unit",
        Split = split,
        DatasetCount = count,
        Fingerprint = fingerprint,
        SampleShape = new[] { 1, 2, 2 },
        Preprocessing = new Preprocessing(1 / 255.0, new[] { 0.5 }, new[] { 0.25 }),
        InputName = "input",
        OnnxRuntimeVersion = "test",
        HasLabels = labels,
        CommandLine = "unit test",
    };

    /// <summary>The labels WriteAsync gives: sample i has label i mod C.</summary>
    public static int Label(long i, int classes) => (int)(i % classes);

    /// <summary>The logit of row i, class c: a deterministic value easy to check.</summary>
    public static float Logit(long i, int c) => (float)(i * 0.001 + c - 0.5 * Math.Sin(i + c));

    public static async Task<string> WriteAsync(string dir, int rows, int classes, int rowGroup, int chunk = 37,
        bool labels = true, string split = "train", CacheEncoding? encoding = null)
    {
        await using var w = await LogitCacheWriter.CreateAsync(dir, Metadata(classes, labels, split, rows, encoding: encoding), false, rowGroup);
        for (int start = 0; start < rows; start += chunk)
        {
            int n = Math.Min(chunk, rows - start);
            var idx = Enumerable.Range(start, n).Select(i => (long)i).ToArray();
            var lab = idx.Select(i => (int)(i % classes)).ToArray();
            var log = new float[n * classes];
            for (int r = 0; r < n; r++) for (int c = 0; c < classes; c++) log[r * classes + c] = Logit(start + r, c);
            await w.WriteAsync(idx, labels ? lab : default, log);
        }
        return await w.CompleteAsync();
    }

    /// <summary>A cache with every optional column: an extra dense output [2, 3] and two flipped views per sample (rows / 2 samples).</summary>
    public static async Task<string> WriteWithViewsAndExtraOutputAsync(string dir, int rows, int classes, int rowGroup)
    {
        var meta = Metadata(classes, count: rows / 2) with
        {
            Outputs = new[] { new CacheOutput("logits", "logits", new[] { classes }), new CacheOutput("map", "map", new[] { 2, 3 }) },
            Views = 2, Augment = "flip",
        };
        await using var w = await LogitCacheWriter.CreateAsync(dir, meta, false, rowGroup);
        await w.WriteAsync(new LogitBatch
        {
            Rows = rows, ClassCount = classes, Index = Enumerable.Range(0, rows).Select(r => (long)(r / 2)).ToArray(),
            Labels = Enumerable.Range(0, rows).Select(r => r / 2 % classes).ToArray(),
            Logits = Enumerable.Range(0, rows * classes).Select(i => Logit(i / classes, i % classes)).ToArray(),
            Extra = new[] { Enumerable.Range(0, rows * 6).Select(i => i * 0.25f).ToArray() },
            Views = Enumerable.Range(0, rows).Select(r => r % 2).ToArray(), CropX = new int[rows], CropY = new int[rows],
            Flip = Enumerable.Range(0, rows).Select(r => r % 3 == 0 ? 1 : 0).ToArray(),
        });
        return await w.CompleteAsync();
    }
}

/// <summary>An in-memory dataset for Verify tests.</summary>
internal sealed class FakeDataset(string split, int count, string fingerprint, int? classes = 10) : IDataset
{
    public string Name => "fake";
    public string Split => split;
    public int Count => count;
    public int[] SampleShape => new[] { 1, 2, 2 };
    public int? ClassCount => classes;
    public bool HasLabels => true;
    public string Fingerprint => fingerprint;
    public void ReadSamples(int start, int n, Span<float> destination) => destination.Clear();
    public int GetLabel(int index) => index % 10;
}
