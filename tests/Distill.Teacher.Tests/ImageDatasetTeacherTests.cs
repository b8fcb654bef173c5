using Distill.Cache;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Distill.Teacher.Tests;

/// <summary>
/// cifar10: and folder: datasets feed the 3×32×32 fixture teacher (fixtures/rgb32.onnx): the cached logits are the
/// model's own output on the same pixels, run here directly with ONNX Runtime and preprocessed in double precision.
/// </summary>
[TestClass]
public sealed class ImageDatasetTeacherTests
{
    private const int Size = 3 * 32 * 32;
    private static readonly Preprocessing Pre = new(1 / 255.0, new[] { 0.49, 0.48, 0.45 }, new[] { 0.25, 0.24, 0.26 });

    // Channels-first pixels of sample s, different for every sample and plane.
    private static byte[] Sample(int s) => Enumerable.Range(0, Size).Select(i => (byte)(s * 37 + i * 13 + (i >> 10) * 5 + (i >> 7))).ToArray();

    private static float[][] TeacherLogits(IReadOnlyList<byte[]> samples)
    {
        var x = new float[samples.Count * Size];
        for (int s = 0; s < samples.Count; s++)
            for (int i = 0; i < Size; i++)
            {
                int c = i / 1024;
                x[s * Size + i] = (float)((samples[s][i] / 255.0 - Pre.Mean[c]) / Pre.Std[c]);
            }
        using var session = new InferenceSession(TestPaths.Fixture("rgb32.onnx"));
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { samples.Count, 3, 32, 32 });
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { "logits" });
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        return Enumerable.Range(0, samples.Count).Select(s => logits.AsSpan(s * 10, 10).ToArray()).ToArray();
    }

    private static async Task AssertCache(IDataset data, float[][] expected, int[] labels)
    {
        var result = await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.Fixture("rgb32.onnx"), Dataset = data, Preprocessing = Pre,
            OutputDirectory = TestPaths.TempDir(), Device = ExecutionDevice.Cpu, BatchSize = 3, RowGroupSize = 3,
        });
        Assert.AreEqual((long)expected.Length, result.Samples);
        using var cache = LogitCacheReader.Open(Path.GetDirectoryName(result.File)!);
        Assert.AreEqual(data.Fingerprint, cache.Metadata.Fingerprint);
        Assert.AreEqual(data.Name, cache.Metadata.DatasetName);
        CollectionAssert.AreEqual(new[] { 3, 32, 32 }, cache.Metadata.SampleShape);
        cache.Verify(data);
        int row = 0;
        await foreach (var b in cache.ReadAllAsync())
            for (int r = 0; r < b.Rows; r++, row++)
            {
                Assert.AreEqual(row, b.Index[r]);
                Assert.AreEqual(labels[row], b.Labels![r], $"label of row {row}");
                for (int c = 0; c < 10; c++)
                    Assert.AreEqual(expected[row][c], b.RowLogits(r)[c], 1e-5, $"row {row} class {c}");
            }
        Assert.AreEqual(expected.Length, row);
    }

    [TestMethod]
    public async Task Cifar10FeedsPrecomputeLogits()
    {
        var dir = TestPaths.TempDir();
        var samples = Enumerable.Range(0, 7).Select(Sample).ToArray();
        int[] labels = { 3, 0, 9, 1, 1, 7, 2 };
        using (var f = File.Create(Path.Combine(dir, "test_batch.bin")))
            for (int s = 0; s < samples.Length; s++) { f.WriteByte((byte)labels[s]); f.Write(samples[s]); }
        await AssertCache(DatasetCatalog.Open("cifar10:" + dir, "test"), TeacherLogits(samples), labels);
    }

    [TestMethod]
    public async Task ImageFolderFeedsPrecomputeLogits()
    {
        // Samples 0..6 as 32×32 PNGs, even ones in class "a", odd ones in "b": the dataset serves a's files first.
        var dir = TestPaths.TempDir();
        for (int s = 0; s < 7; s++)
        {
            var planes = Sample(s);
            using var bmp = new SKBitmap(new SKImageInfo(32, 32, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            var px = bmp.GetPixelSpan();
            for (int p = 0; p < 1024; p++)
                (px[4 * p], px[4 * p + 1], px[4 * p + 2], px[4 * p + 3]) = (planes[p], planes[1024 + p], planes[2048 + p], 255);
            var path = Path.Combine(dir, "train", s % 2 == 0 ? "a" : "b", $"{s:D2}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var png = bmp.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, png.ToArray());
        }
        Directory.CreateDirectory(Path.Combine(dir, "test", "a"));
        File.Copy(Path.Combine(dir, "train", "a", "00.png"), Path.Combine(dir, "test", "a", "00.png"));
        int[] order = { 0, 2, 4, 6, 1, 3, 5 };
        var data = DatasetCatalog.Open("folder:" + dir, "train");
        await AssertCache(data, TeacherLogits(order.Select(Sample).ToArray()), order.Select(s => s % 2).ToArray());
    }
}
