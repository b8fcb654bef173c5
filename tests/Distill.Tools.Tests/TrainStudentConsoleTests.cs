using System.Diagnostics;

namespace Distill.Tools.Tests;

/// <summary>
/// What train-student tells a user at the two moments a run can lose work: started without --out (a warning that
/// nothing is kept) and stopped with Ctrl-C (exit 130 and the exact command that continues the run, which, run as
/// printed, finishes it). Data: the 40-sample tiny-idx fixture and a cache of a fixture teacher.
/// </summary>
[TestClass]
public sealed class TrainStudentConsoleTests
{
    private static string _cache = "";

    [ClassInitialize]
    public static void MakeCache(TestContext _)
    {
        _cache = Path.Combine(Tools.TempDir(), "tiny-train");
        var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"),
            "--dataset", Tools.TinyIdx, "--split", "train", "--mean", "0.5", "--std", "0.25", "--out", _cache, "--device", "cpu" });
        Assert.AreEqual(0, r.Code, r.Stderr);
    }

    private static string[] Args(int epochs, params string[] more) => new[]
    {
        "--cache", _cache, "--dataset", Tools.TinyIdx, "--student", "mlp:8", "--loss", "kd", "--epochs", epochs.ToString(),
        "--seed", "2", "--threads", "1",
    }.Concat(more).ToArray();

    [TestMethod]
    public void WithoutOutItWarnsThatNothingIsKept()
    {
        var r = ToolRunner.Run("train-student", Args(1));
        Assert.AreEqual(0, r.Code, r.Stderr);
        CollectionAssert.Contains(r.ErrorLines.Select(l => l.TrimEnd('\r')).ToList(),
            "warning: no --out: the trained student, its metrics and checkpoints are not kept (give --out DIR to keep them)", r.Stderr);
    }

    [TestMethod]
    public void CtrlCExitsWith130AndPrintsTheCommandThatFinishesTheRun()
    {
        // Batches of one row: an epoch is 40 steps, so the run is still going when Ctrl-C arrives.
        const int epochs = 150;
        var dir = Path.Combine(Tools.TempDir(), "run");
        using var p = ToolRunner.Start("train-student", Args(epochs, "--out", dir, "--batch", "1"));
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        // Once the first epoch is checkpointed.
        var checkpoints = Path.Combine(dir, "checkpoints");
        Tools.PressCtrlCWhen(p, () => Directory.Exists(checkpoints) && Directory.GetDirectories(checkpoints, "epoch-*").Any(d => !d.EndsWith(".tmp")));
        Assert.IsTrue(p.WaitForExit(60_000));
        Assert.AreEqual(130, p.ExitCode, stderr.Result);
        string expected = $"train-student --cache {_cache} --dataset {Tools.TinyIdx} --out {dir} --resume";   // the recipe comes from run.json
        var line = stderr.Result.Split('\n').Single(l => l.Contains("was interrupted"));
        Assert.AreEqual($"train-student was interrupted; the last finished epoch is checkpointed in {dir}. Continue with: {expected}", line.TrimEnd('\r'));
        Assert.IsFalse(File.Exists(Path.Combine(dir, "summary.json")), "an interrupted run is not marked finished");

        // The printed command, as a user would paste it, finishes the run from its checkpoint.
        var resumed = ToolRunner.Run("train-student", expected.Split(' ').Skip(1));
        Assert.AreEqual(0, resumed.Code, resumed.Stderr);
        StringAssert.Contains(resumed.Stdout, "resuming after epoch ");
        Assert.IsTrue(File.Exists(Path.Combine(dir, "summary.json")));
        Assert.AreEqual(epochs, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
    }
}
