using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

/// <summary>The recipe's teacher (a file or its SHA-256) must have made the caches; outputs record its hash.</summary>
[TestClass]
public sealed class TeacherCheckTests
{
    private static readonly string Made = new('a', 64), Other = new('b', 64);
    private static readonly Recipe R = new() { Loss = "kd", Epochs = 1, Batch = 32, MemoryBudgetMb = 16, Device = "cpu", Student = "mlp:4" };

    [TestMethod]
    public async Task CacheFromAnotherTeacherIsRefused()
    {
        using var dir = new TempDir();
        var cache = await TinyNpyCache.CreateAsync(dir.Path, Made);
        using var data = TrainingData.Open(cache, null);
        var e = await Assert.ThrowsExactlyAsync<DistillException>(() => Distiller.TrainAsync(data, R with { Teacher = Other }));
        Assert.AreEqual($"cache {cache} was made by teacher t.onnx (sha256 aaaaaaaaaaaa…), not by the recipe's teacher sha256 bbbbbbbbbbbb…", e.Message);
    }

    [TestMethod]
    [DoNotParallelize]   // seeds torch's global generator: a test running beside it must not draw from it in between
    public async Task TeacherFileIsHashedAndTheHashIsRecorded()
    {
        using var dir = new TempDir();
        var onnx = Path.Combine(dir.Path, "teacher.onnx");
        File.WriteAllText(onnx, "stands in for a model");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnx)));
        using var data = TrainingData.Open(await TinyNpyCache.CreateAsync(dir.Path, sha), null);
        var run = Path.Combine(dir.Path, "run");
        await Distiller.TrainAsync(data, R with { Teacher = onnx }, outDir: run);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!;
        Assert.AreEqual(sha, summary["recipe"]!["teacher"]!.GetValue<string>());
        Assert.AreEqual(sha, summary["teacher_sha256s"]![0]!.GetValue<string>());
        Assert.AreEqual(sha, TeacherCheck.Resolve(sha.ToUpperInvariant())!.Sha256, "hex is compared case-insensitively");
    }

    [TestMethod]
    public void MissingTeacherFileIsOneLine()
    {
        var e = Assert.ThrowsExactly<DistillException>(() => TeacherCheck.Resolve("/no/such/teacher.onnx"));
        Assert.AreEqual("teacher /no/such/teacher.onnx not found (--teacher takes the teacher's .onnx file or its 64-hex-digit SHA-256)", e.Message);
        Assert.IsNull(TeacherCheck.Resolve(null), "no teacher: any cache");
    }
}
