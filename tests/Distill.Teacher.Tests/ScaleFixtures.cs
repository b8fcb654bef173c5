using System.Text.Json;
using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>Runs and expectations shared by the several-outputs, ensemble and views tests (fixtures/make_scale_fixtures.py).</summary>
internal static class ScaleFixtures
{
    public static readonly Preprocessing Pre = new(1 / 255.0, new[] { 0.5 }, new[] { 0.25 });

    /// <summary>
    /// PyTorch's output <paramref name="output"/> of <paramref name="model"/> on the tiny test split, flattened per
    /// sample, from <paramref name="file"/> (graph-reference.json holds inner tensors, by their ONNX names).
    /// </summary>
    public static double[][] Reference(string model, string output = "logits", string file = "scale-reference.json") =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(file))).RootElement.GetProperty(model)
            .GetProperty(output).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    public static PrecomputeRequest Request(string[] teachers, string? dir = null) => new()
    {
        TeacherPaths = teachers.Select(TestPaths.Fixture).ToArray(), Dataset = DatasetCatalog.Open(TestPaths.TinyIdx, "test"),
        Preprocessing = Pre, OutputDirectory = dir ?? TestPaths.TempDir(), Device = ExecutionDevice.Cpu, BatchSize = 5, RowGroupSize = 5,
    };

    public static async Task<List<LogitBatch>> ReadAll(string dir)
    {
        using var cache = await LogitCacheReader.OpenAsync(dir);
        var all = new List<LogitBatch>();
        await foreach (var b in cache.ReadAllAsync()) all.Add(b);
        return all;
    }

    /// <summary>Concatenates one column of every row group: -1 the logits, j ≥ 0 the j-th extra output.</summary>
    public static float[][] Rows(List<LogitBatch> batches, int column = -1) =>
        batches.SelectMany(b => Enumerable.Range(0, b.Rows).Select(r =>
        {
            var data = column < 0 ? b.Logits : b.Extra[column];
            int width = data.Length / b.Rows;
            return data.AsSpan(r * width, width).ToArray();
        })).ToArray();

    public static void AssertClose(double[][] expected, float[][] actual, double tolerance, string what)
    {
        Assert.HasCount(expected.Length, actual, what + ": rows");
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.HasCount(expected[r].Length, actual[r], $"{what}: row {r} width");
            for (int c = 0; c < expected[r].Length; c++)
                Assert.AreEqual(expected[r][c], actual[r][c], tolerance, $"{what}: row {r} value {c}");
        }
    }
}
