using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// Both tools on a tiny tmpfs that fills up: one clear error line, exit code 1, and the complete files that were
/// there before are intact. Needs permission to mount a tmpfs (root); elsewhere the test reports itself inconclusive.
/// </summary>
[TestClass]
public sealed class DiskFullTests
{
    private static string Mount(string sizeKb)
    {
        var dir = Tools.TempDir();
        var psi = new ProcessStartInfo("mount", new[] { "-t", "tmpfs", "-o", $"size={sizeKb}k", "tmpfs", dir }) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Inconclusive($"cannot mount a tmpfs here ({p.StandardError.ReadToEnd().Trim()}); run as root to test full disks");
        return dir;
    }

    private static void Unmount(string dir) => Process.Start("umount", new[] { dir })!.WaitForExit();

    [TestMethod]
    public async Task PrecomputeLogitsOnAFullDiskKeepsThePreviousCache()
    {
        var disk = Mount("600");
        try
        {
            var cache = Path.Combine(disk, "cache");
            string[] Args(int limit, params string[] more) => new[] { "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "test",
                "--limit", $"{limit}", "--out", cache, "--device", "cpu" }.Concat(more).ToArray();
            Assert.AreEqual(0, ToolRunner.Run("precompute-logits", Args(3000)).Code);
            byte[] before = File.ReadAllBytes(Path.Combine(cache, "part-00000.parquet"));

            var full = ToolRunner.Run("precompute-logits", Args(10000, "--overwrite"));
            Assert.AreEqual(1, full.Code, full.Stderr);
            var error = full.ErrorLines.Single(l => l.StartsWith("error:"));
            StringAssert.StartsWith(error, $"error: writing the cache to {cache} failed: No space left on device");
            Assert.IsFalse(full.Stderr.Contains("   at "));
            CollectionAssert.AreEqual(before, File.ReadAllBytes(Path.Combine(cache, "part-00000.parquet")), "the previous cache is untouched");
            Assert.AreEqual(0, Directory.GetFiles(cache, "*.tmp").Length, "no temporary file is left behind");
            using var reader = LogitCacheReader.Open(cache);
            Assert.AreEqual(3000L, reader.RowCount);
        }
        finally { Unmount(disk); }
    }

    [TestMethod]
    public void TrainStudentOnAFullDiskFailsCleanlyAndLeavesNoPartialFile()
    {
        var cache = Tools.TempDir();
        Assert.AreEqual(0, ToolRunner.Run("precompute-logits", new[] { "--teacher", Tools.Teacher, "--dataset", "fashion-mnist", "--split", "test",
            "--out", cache, "--overwrite", "--device", "cpu", "--limit", "2000" }).Code);
        var disk = Mount("1500");
        try
        {
            var run = Path.Combine(disk, "run");
            // mlp-256-256 checkpoints (weights + Adam moments, ~2.7 MB each) cannot fit in 1.5 MB.
            var r = ToolRunner.Run("train-student", new[] { "--cache", cache, "--split", "test", "--student", "mlp-256-256", "--loss", "kd",
                "--epochs", "3", "--threads", "1", "--out", run });
            Assert.AreEqual(1, r.Code, r.Stdout + r.Stderr);
            var error = r.ErrorLines.Single(l => l.StartsWith("error:"));
            StringAssert.Contains(error, "No space left on device");
            Assert.IsFalse(r.Stderr.Contains("   at "));
            Assert.IsFalse(File.Exists(Path.Combine(run, "summary.json")), "no summary for a failed run");
            // Every checkpoint that has its final name is complete (a state.json, written last, next to its weights).
            var root = Path.Combine(run, "checkpoints");
            if (Directory.Exists(root))
                foreach (var epoch in Directory.GetDirectories(root).Where(d => !d.EndsWith(".tmp")))
                    Assert.IsTrue(File.Exists(Path.Combine(epoch, "state.json")), $"{epoch} is incomplete");
        }
        finally { Unmount(disk); }
    }
}
