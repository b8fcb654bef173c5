using Distill.Data;
using Distill.Student.Training;

namespace Distill.Student.Tests;

/// <summary>RunIdentity: what --resume compares, written out by hand here, and its run.json round trip.</summary>
[TestClass]
public sealed class RunIdentityTests
{
    private static readonly string A = new('a', 64), B = new('b', 64), C = new('c', 64);

    private static RunIdentity Identity() => new()
    {
        Recipe = new Recipe { Student = "mlp:8", Loss = "kd", Lr = 0.001, Epochs = 2 },
        Student = "Mlp(layers Sequential(fc0 Linear 16->8, relu0 ReLU, fc1 Linear 8->3))",
        TrainCache = new CacheIdentity(A, new[] { new TeacherIdentity("t.onnx", B) }, 40),
        TrainData = new DataIdentity("idx:d", "train", 40, C),
    };

    [TestMethod]
    public void RoundTripsThroughRunJson()
    {
        using var dir = new TempDir();
        var id = Identity() with
        {
            TestCache = new CacheIdentity(B, new[] { new TeacherIdentity("t.onnx", B) }, 12),
            TestData = new DataIdentity("idx:d", "test", 12, A),
            InitFrom = new WeightsSource("/runs/a", "checkpoints/epoch-0002/model.dat", C),
        };
        File.WriteAllText(Path.Combine(dir.Path, RunIdentity.FileName), id.ToJson());
        var back = RunIdentity.Load(dir.Path)!;
        Assert.AreEqual(0, id.Differences(back).Count, string.Join("; ", id.Differences(back)));
        Assert.AreEqual(id.Recipe, back.Recipe);
        Assert.AreEqual(id.InitFrom, back.InitFrom);
        Assert.AreEqual("t.onnx", back.TestCache!.Teachers[0].File);
        Assert.IsNull(RunIdentity.Load(Path.Combine(dir.Path, "elsewhere")));
    }

    [TestMethod]
    public void TheDeviceMayChange() =>
        Assert.AreEqual(0, Identity().Differences(Identity() with { Recipe = Identity().Recipe with { Device = "cpu" } }).Count);

    [TestMethod]
    public void ListsEveryFieldThatDiffers()
    {
        var was = Identity();
        var now = was with
        {
            Recipe = was.Recipe with { Loss = "dkd", Lr = 0.01, CeWeight = 0.5 },
            TrainCache = new CacheIdentity(C, new[] { new TeacherIdentity("u.onnx", A) }, 41),
            TestCache = new CacheIdentity(B, new[] { new TeacherIdentity("u.onnx", A) }, 12),
            TrainData = new DataIdentity("idx:e", "train", 41, B),
            InitFrom = new WeightsSource("/runs/a", "model.dat", A),
        };
        CollectionAssert.AreEqual(new[]
        {
            "loss kd → dkd", "lr 0.001 → 0.01", "ce_weight unset → 0.5",
            "train cache teacher t.onnx (sha256 bbbbbbbbbbbb…) → u.onnx (sha256 aaaaaaaaaaaa…)",
            "train cache content (checksum aaaaaaaaaaaa… → cccccccccccc…, 40 → 41 rows)",
            "test cache none → given",
            "train data idx:d train (40 samples, fingerprint cccccccccccc…) → idx:e train (41 samples, fingerprint bbbbbbbbbbbb…)",
            "initial weights none → /runs/a/model.dat (sha256 aaaaaaaaaaaa…)",
        }, was.Differences(now).ToArray());
    }

    [TestMethod]
    public void AnotherModuleUnderTheSameNameDiffers() =>
        CollectionAssert.AreEqual(new[] { "student architecture Mlp(layers Sequential(fc0 Linear 16->8, relu0 ReLU, fc1 Linear 8->3)) → Linear1" },
            Identity().Differences(Identity() with { Student = "Linear1" }).ToArray());

    [TestMethod]
    public void AnUnreadableRunJsonIsOneLine()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, RunIdentity.FileName);
        File.WriteAllText(path, "{\"recipe\": {}}");
        var e = Assert.ThrowsExactly<DistillException>(() => RunIdentity.Load(dir.Path));
        Assert.AreEqual($"{path} is unreadable (fields missing: 'student', 'train_cache', 'train_data'); the run cannot be checked: start over with --overwrite", e.Message);
    }
}
