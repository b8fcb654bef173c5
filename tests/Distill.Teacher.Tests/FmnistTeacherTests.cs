using System.Text.Json;
using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher.Tests;

/// <summary>The real teacher (PyTorch 2.11 export) on Fashion-MNIST: our cache must hold PyTorch's logits.</summary>
[TestClass]
public sealed class FmnistTeacherTests
{
    [TestMethod]
    public async Task TestSplitCacheMatchesPyTorchLogitsAndAccuracy()
    {
        var data = DatasetCatalog.Open("fashion-mnist", "test");
        var dir = TestPaths.TempDir();
        var pre = PreprocessingFlags.None.Require(TeacherCard.TryLoadFor(TestPaths.FmnistTeacher), TestPaths.FmnistTeacher).Value;
        var warnings = new List<string>();
        var result = await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.FmnistTeacher, Dataset = data, Preprocessing = pre, OutputDirectory = dir,
            Device = ExecutionDevice.Cpu, BatchSize = 256, RowGroupSize = 2048,
        }, warn: warnings.Add);
        Assert.AreEqual(10_000L, result.Samples);
        Assert.AreEqual(0, warnings.Count);

        var reference = JsonDocument.Parse(File.ReadAllText(TestPaths.Data("fmnist-resnet.reference-logits.json")))
            .RootElement.GetProperty("logits").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.AreEqual(512, reference.Length);

        using var cache = LogitCacheReader.Open(dir);
        cache.Verify(data);
        Assert.AreEqual(10_000L, cache.RowCount);
        Assert.AreEqual(10, cache.Metadata.ClassCount);
        Assert.AreEqual(TeacherModel.Sha256Of(TestPaths.FmnistTeacher), cache.Metadata.TeacherSha256);
        double maxDiff = 0;
        long correct = 0, row = 0;
        await foreach (var b in cache.ReadAllAsync())
            for (int r = 0; r < b.Rows; r++, row++)
            {
                Assert.AreEqual(row, b.Index[r]);
                Assert.AreEqual(data.GetLabel((int)row), b.Labels![r]);
                var logits = b.RowLogits(r);
                if (row < 512)
                    for (int c = 0; c < 10; c++) maxDiff = Math.Max(maxDiff, Math.Abs(logits[c] - reference[row][c]));
                int best = 0;
                for (int c = 1; c < 10; c++) if (logits[c] > logits[best]) best = c;
                if (best == b.Labels[r]) correct++;
            }
        Console.WriteLine($"max |ORT - PyTorch| over the first 512 test images = {maxDiff:E2}");
        Assert.IsTrue(maxDiff < 1e-4, $"max |ORT - PyTorch| = {maxDiff}");
        Assert.AreEqual(0.9481, correct / 10_000.0, 1e-9, "teacher accuracy read from the cache");
        Assert.AreEqual(0.9481, result.Accuracy!.Value, 1e-9);
    }

    [TestMethod]
    public async Task AutoDeviceFallsBackToCpuSilentlyOnACpuBuildAndCudaFailsClearly()
    {
        var data = DatasetCatalog.Open("fashion-mnist", "test");
        var pre = PreprocessingFlags.None.Require(TeacherCard.TryLoadFor(TestPaths.FmnistTeacher), TestPaths.FmnistTeacher).Value;
        var warnings = new List<string>();
        var result = await LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.FmnistTeacher, Dataset = data, Preprocessing = pre, OutputDirectory = TestPaths.TempDir(),
            Device = ExecutionDevice.Parse("auto"), Limit = 300,
        }, warn: warnings.Add);
        Assert.AreEqual("cpu", result.Device);
        // A CPU-only build has nothing to report (a CUDA build without a GPU says so in one line: tools/cuda-build-check.sh).
        Assert.AreEqual(0, warnings.Count, string.Join("\n", warnings));

        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => LogitPrecomputer.RunAsync(new PrecomputeRequest
        {
            TeacherPath = TestPaths.FmnistTeacher, Dataset = data, Preprocessing = pre, OutputDirectory = TestPaths.TempDir(),
            Device = ExecutionDevice.Parse("cuda"), Limit = 300,
        }));
        StringAssert.Contains(e.Message, "CUDAExecutionProvider");
        StringAssert.StartsWith(e.Message, "--device cuda:0:");
    }
}
