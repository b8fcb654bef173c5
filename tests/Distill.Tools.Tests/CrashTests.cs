using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// SIGKILL at points chosen by progress seen on disk (row groups done for precompute-logits, epoch checkpoints for
/// train-student), then --resume: the resumed run computes only what was missing (the tool's own account of what it
/// computed), the results equal an uninterrupted run's, and no file with its final name is ever partial.
/// </summary>
[TestClass]
public sealed class CrashTests
{
    private const int Rows = 2048, RowGroup = 128;

    private static string[] PrecomputeArgs(string outDir) => new[]
    {
        "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "test", "--limit", $"{Rows}", "--out", outDir,
        "--row-group", $"{RowGroup}", "--batch", $"{RowGroup}", "--threads", "1", "--device", "cpu",
    };

    private static (long[] Index, float[] Logits) ReadAll(string dir)
    {
        var all = Tools.ReadAll(dir);
        return (all.SelectMany(b => b.Index.Take(b.Rows)).ToArray(), all.SelectMany(b => b.Logits.Take(b.Rows * b.Width)).ToArray());
    }

    [TestMethod]
    public void PrecomputeLogitsSurvivesTenKills()
    {
        var plainDir = Tools.TempDir();
        Assert.AreEqual(0, ToolRunner.Run("precompute-logits", PrecomputeArgs(plainDir)).Code);
        var plain = ReadAll(plainDir);
        // Kill points: after 1 to 12 of the 16 row groups are on disk.
        foreach (int done in new[] { 1, 2, 3, 4, 5, 6, 8, 9, 10, 12 })
        {
            var dir = Tools.TempDir();
            Tools.KillWhen("precompute-logits", PrecomputeArgs(dir), () => InterruptedCache.Segments(dir).Length >= done, $"{done} row groups");
            Assert.IsFalse(File.Exists(Path.Combine(dir, CacheSchema.PartName(0))), $"kill after {done} row groups: the run was still going");
            long kept = InterruptedCache.SegmentRows(dir);   // opens every segment: each one with its final name is complete
            Assert.IsTrue(kept >= done * RowGroup && kept < Rows, $"kill after {done} row groups: {kept} rows on disk");

            var resumed = ToolRunner.Run("precompute-logits", PrecomputeArgs(dir).Append("--resume").ToArray());
            Assert.AreEqual(0, resumed.Code, $"kill after {done}: {resumed.Stderr}");
            StringAssert.Contains(resumed.Stderr, $"resuming at row {kept:N0} ({kept:N0} of {Rows:N0} already cached)", $"kill after {done}");
            StringAssert.Contains(resumed.Stdout, $", {Rows - kept:N0} computed now)", $"kill after {done}: only the missing row groups are computed");
            var got = ReadAll(dir);
            CollectionAssert.AreEqual(plain.Index, got.Index, $"kill after {done}");
            CollectionAssert.AreEqual(plain.Logits, got.Logits, $"kill after {done}");
        }
    }

    private const int Epochs = 8;

    private static string[] TrainArgs(string cache, string outDir) => new[]
    {
        "--cache", cache, "--split", "test", "--student", "mlp:256", "--loss", "kd", "--epochs", $"{Epochs}", "--batch", "256",
        "--seed", "3", "--threads", "1", "--out", outDir,
    };

    // summary.json without its one timing field.
    private static JsonObject Summary(string outDir)
    {
        var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        s.Remove("wall_seconds");
        return s;
    }

    /// <summary>The newest complete checkpoint's epoch (a directory without .tmp holding state.json), 0 when none.</summary>
    private static int CheckpointEpoch(string outDir)
    {
        var root = Path.Combine(outDir, "checkpoints");
        if (!Directory.Exists(root)) return 0;
        return Directory.GetDirectories(root, "epoch-*")
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "state.json")))
            .Select(d => int.Parse(Path.GetFileName(d)["epoch-".Length..], CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).Max();
    }

    [TestMethod]
    public void TrainStudentSurvivesFiveKills()
    {
        var cache = Tools.TempDir();
        Assert.AreEqual(0, ToolRunner.Run("precompute-logits", new[] { "--teacher", Tools.Teacher, "--dataset", "fashion-mnist",
            "--split", "test", "--limit", "4096", "--out", cache, "--overwrite", "--device", "cpu", "--threads", "2" }).Code);
        var plainDir = Path.Combine(Tools.TempDir(), "run");
        var plain = ToolRunner.Run("train-student", TrainArgs(cache, plainDir));
        Assert.AreEqual(0, plain.Code, plain.Stderr);
        var expected = Summary(plainDir).ToJsonString();
        // Kill points: as soon as the checkpoint of epoch 1, 2, 3, 5 or 6 of 8 is complete on disk (two epochs of margin:
        // a loaded machine may finish one more before the kill lands).
        foreach (int epoch in new[] { 1, 2, 3, 5, 6 })
        {
            var dir = Path.Combine(Tools.TempDir(), "run");
            Tools.KillWhen("train-student", TrainArgs(cache, dir), () => CheckpointEpoch(dir) >= epoch, $"epoch {epoch}'s checkpoint");
            Assert.IsFalse(File.Exists(Path.Combine(dir, "summary.json")), $"kill after epoch {epoch}: the run was still going");
            int done = CheckpointEpoch(dir);
            Assert.IsTrue(done >= epoch && done < Epochs, $"kill after epoch {epoch}: checkpoint of epoch {done}");

            var resumed = ToolRunner.Run("train-student", TrainArgs(cache, dir).Append("--resume").ToArray());
            Assert.AreEqual(0, resumed.Code, $"kill after epoch {epoch}: {resumed.Stderr}");
            // It continued from the checkpoint on disk and trained only the remaining epochs.
            StringAssert.Contains(resumed.Stdout, $"resuming after epoch {done}\n");
            var trained = Regex.Matches(resumed.Stdout, $@"^epoch (\d+)/{Epochs} ", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(done + 1, Epochs - done).ToArray(), trained, $"kill after epoch {epoch}: epochs trained after the resume");
            var metrics = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["epoch"]!.GetValue<int>()).ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(1, Epochs).ToArray(), metrics, "metrics.jsonl holds every epoch once");
            // Bit for bit: every field but wall_seconds, the training-loss averages included (README: Guarantees).
            Assert.AreEqual(expected, Summary(dir).ToJsonString(), $"kill after epoch {epoch}");
        }
    }
}
