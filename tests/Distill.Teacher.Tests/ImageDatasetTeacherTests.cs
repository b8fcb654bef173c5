using Distill.Cache;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Distill.Teacher.Tests;

/// <summary>
/// cifar10: and folder: datasets feed an RGB teacher (fixtures/rgb-32.onnx): the cached logits equal ONNX Runtime's
/// own output on pixels taken here straight from the files (CIFAR record bytes; PNG pixels via SKBitmap.GetPixel).
/// </summary>
[TestClass]
public sealed class ImageDatasetTeacherTests
{
    private static readonly Preprocessing Pre = new(1 / 255.0, new[] { 0.49, 0.48, 0.45 }, new[] { 0.25, 0.24, 0.26 });

    private static float[] Expected(float[] rgbPlanes)
    {
        var x = new float[3072];
        for (int i = 0; i < 3072; i++) x[i] = (float)((rgbPlanes[i] / 255.0 - Pre.Mean[i / 1024]) / Pre.Std[i / 1024]);
        using var session = new InferenceSession(TestPaths.Fixture("rgb-32.onnx"));
        using var value = OrtValue.CreateTensorValueFromMemory(x, new long[] { 1, 3, 32, 32 });
        using var output = session.Run(new RunOptions(), new[] { "input" }, new[] { value }, new[] { "logits" });
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static async Task<List<LogitBatch>> Cache(string dataset, string split)
    {
        var dir = TestPaths.TempDir();
        await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.Fixture("rgb-32.onnx"), Dataset = DatasetCatalog.Open(dataset, split), Preprocessing = Pre,
            OutputDirectory = dir, Device = ExecutionDevice.Cpu, BatchSize = 4,
        });
        return await ScaleFixtures.ReadAll(dir);
    }

    private static void AssertRow(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        for (int c = 0; c < 10; c++) Assert.AreEqual(expected[c], actual[c], 1e-4, $"{what} class {c}");
    }

    [TestMethod]
    public async Task Cifar10TestBatchFeedsTheTeacher()
    {
        var dir = TestPaths.TempDir();
        var rng = new Random(3);
        var bytes = new byte[7 * 3073];
        rng.NextBytes(bytes);
        for (int i = 0; i < 7; i++) bytes[i * 3073] = (byte)(i % 10);
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), bytes);
        var rows = await Cache($"cifar10:{dir}", "test");
        var all = rows.SelectMany(b => Enumerable.Range(0, b.Rows).Select(r => (b.Index[r], b.Labels![r], b.RowLogits(r).ToArray()))).ToList();
        Assert.HasCount(7, all);
        foreach (var (index, label, logits) in all)
        {
            Assert.AreEqual((int)index % 10, label);
            var planes = bytes.AsSpan((int)index * 3073 + 1, 3072).ToArray().Select(b => (float)b).ToArray();
            AssertRow(Expected(planes), logits, $"sample {index}");
        }
    }

    [TestMethod]
    public async Task PngFolderFeedsTheTeacher()
    {
        var root = TestPaths.TempDir();
        var rng = new Random(5);
        var files = new List<string>();
        foreach (var (cls, n) in new[] { ("ant", 2), ("bee", 3) })
            for (int k = 0; k < n; k++)
            {
                var path = Path.Combine(root, cls, $"{k}.png");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var bmp = new SKBitmap(new SKImageInfo(32, 32, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) bmp.SetPixel(x, y, new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
                using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(path, data.ToArray());
                files.Add(path);
            }
        var rows = await Cache($"folder:{root}", "train");
        int row = 0;
        foreach (var b in rows)
            for (int r = 0; r < b.Rows; r++, row++)
            {
                Assert.AreEqual(row < 2 ? 0 : 1, b.Labels![r]);
                using var bmp = SKBitmap.Decode(files[row]);
                var planes = new float[3072];
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                    {
                        var c = bmp.GetPixel(x, y);
                        planes[y * 32 + x] = c.Red; planes[1024 + y * 32 + x] = c.Green; planes[2048 + y * 32 + x] = c.Blue;
                    }
                AssertRow(Expected(planes), b.RowLogits(r), files[row]);
            }
        Assert.AreEqual(5, row);
    }
}
