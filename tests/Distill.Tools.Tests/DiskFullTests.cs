using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// Both tools on a tiny tmpfs that fills up: one clear error line, exit code 1, no temporary file left, and the
/// complete files that were there before are intact. Mounting a tmpfs needs root, which CI has: a machine where the
/// mount fails fails these tests (they are never skipped).
/// </summary>
[TestClass]
public sealed class DiskFullTests
{
    private const int Page = 4096;   // tmpfs counts whole pages per file

    private static string Mount(long bytes)
    {
        var dir = Tools.TempDir();
        var psi = new ProcessStartInfo("mount", new[] { "-t", "tmpfs", "-o", $"size={bytes / 1024}k", "tmpfs", dir }) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) Assert.Fail($"cannot mount a tmpfs at {dir} ({p.StandardError.ReadToEnd().Trim()}); these tests need root (CI runs as root)");
        return dir;
    }

    private static void Remount(string dir, long bytes)
    {
        using var p = Process.Start("mount", new[] { "-o", $"remount,size={bytes / 1024}k", dir })!;
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, $"remount {dir}");
    }

    private static void Unmount(string dir) => Process.Start("umount", new[] { dir })!.WaitForExit();

    [TestMethod]
    public async Task PrecomputeLogitsOnAFullDiskKeepsThePreviousCache()
    {
        var disk = Mount(600 * 1024);
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

    // train-student: the 40-sample tiny-idx fixture and its cache, mlp:8, so that every file but curves.png fits in
    // one page and the disk can be sized to fail at any chosen write.
    private static readonly Lazy<string> TinyCache = new(() =>
    {
        var dir = Path.Combine(Tools.TempDir(), "tiny-train");
        var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), "--dataset", Tools.TinyIdx,
            "--split", "train", "--mean", "0.5", "--std", "0.25", "--out", dir, "--device", "cpu" });
        Assert.AreEqual(0, r.Code, r.Stderr);
        return dir;
    });

    private static string[] TrainArgs(string outDir, int epochs, params string[] more) => new[]
    {
        "--cache", TinyCache.Value, "--dataset", Tools.TinyIdx, "--student", "mlp:8", "--loss", "kd", "--epochs", $"{epochs}",
        "--seed", "5", "--threads", "1", "--out", outDir,
    }.Concat(more).ToArray();

    private static readonly Regex NoSpace = new(@"^error: writing (.+) failed: No space left on device$");

    private sealed record Failure(int Pages, string File, bool PreviousCheckpoint, string Disk, string Run);

    /// <summary>
    /// Runs train-student on tmpfs disks of growing size, from <paramref name="pages"/> pages: each run fails at a
    /// later write (named in its error line), until <paramref name="stop"/> says enough or the run succeeds. The next
    /// size is what the failed run left (its complete files) plus what the failed write needs (from
    /// <paramref name="reference"/>, the same run on a roomy disk), so the failure moves to the next write that needs
    /// space. <paramref name="atFailure"/> sees the disk before it is unmounted.
    /// </summary>
    private static List<Failure> Sweep(int epochs, string reference, int pages, Func<Failure, bool> stop, Action<Failure>? atFailure = null)
    {
        var failures = new List<Failure>();
        for (int trial = 0; trial < 30; trial++)
        {
            var disk = Mount((long)pages * Page);
            try
            {
                var run = Path.Combine(disk, "run");
                var r = ToolRunner.Run("train-student", TrainArgs(run, epochs));
                if (r.Code == 0) return failures;
                Assert.AreEqual(1, r.Code, $"{pages} pages: {r.Stdout} {r.Stderr}");
                var errors = r.ErrorLines.Where(l => l.StartsWith("error:")).ToList();
                Assert.AreEqual(1, errors.Count, $"{pages} pages: one error line: {r.Stderr}");
                Assert.IsFalse(r.Stderr.Contains("   at "), r.Stderr);
                var m = NoSpace.Match(errors[0]);
                Assert.IsTrue(m.Success, $"{pages} pages: {errors[0]}");
                var file = Path.GetRelativePath(run, m.Groups[1].Value).Replace('\\', '/');
                AssertNothingPartial(run, reference, $"{pages} pages, failed at {file}");
                var f = new Failure(pages, file, PreviousCheckpoint: PreviousCheckpointOf(run, file), disk, run);
                failures.Add(f);
                atFailure?.Invoke(f);
                if (stop(f)) return failures;
                var drive = new DriveInfo(disk);
                int used = (int)((drive.TotalSize - drive.AvailableFreeSpace) / Page);
                pages = Math.Max(pages + 1, used + PagesOf(reference, file));
            }
            finally { Unmount(disk); }
        }
        Assert.Fail("30 disks were too small: the sweep does not advance");
        return failures;
    }

    // A checkpoint older than the one (or the write) that failed, complete in the failed run's directory.
    private static bool PreviousCheckpointOf(string run, string failed)
    {
        var root = Path.Combine(run, "checkpoints");
        return Directory.Exists(root) && Directory.GetDirectories(root).Any(d => !failed.StartsWith("checkpoints/" + Path.GetFileName(d)));
    }

    private static int PagesOf(string reference, string file)
    {
        string path = file.StartsWith("checkpoints/") ? Directory.GetDirectories(Path.Combine(reference, "checkpoints")).Single()
            : file.StartsWith("events.out.tfevents.") ? Directory.GetFiles(reference, "events.out.tfevents.*").Single()
            : Path.Combine(reference, file);
        var files = Directory.Exists(path) ? Directory.GetFiles(path) : new[] { path };
        return Math.Max(1, files.Sum(f => (int)((new FileInfo(f).Length + Page - 1) / Page)));
    }

    /// <summary>
    /// No .tmp anywhere, no summary.json, and every file under its final name complete: the same bytes as the
    /// reference run's where the run is deterministic, the same length for weights (whose last bits may differ
    /// between runs), whole lines of metrics, whole TensorBoard records, a PNG up to its IEND chunk, and
    /// checkpoints whose files have the SHA-256 their state.json records.
    /// </summary>
    private static void AssertNothingPartial(string run, string reference, string what)
    {
        Assert.IsTrue(Directory.Exists(run), $"{what}: the run directory exists (the lock file is its first write)");
        foreach (var p in Directory.GetFileSystemEntries(run, "*", SearchOption.AllDirectories))
            Assert.IsFalse(p.EndsWith(".tmp"), $"{what}: {p} is left behind");
        Assert.IsFalse(File.Exists(Path.Combine(run, "summary.json")), $"{what}: a failed run has no summary.json");
        foreach (var name in new[] { "run.json", "recipe.json", "student.json" })
            if (File.Exists(Path.Combine(run, name)))
                CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(reference, name)), File.ReadAllBytes(Path.Combine(run, name)), $"{what}: {name}");
        foreach (var name in new[] { "model.dat", "student.onnx", "student.safetensors" })
            if (File.Exists(Path.Combine(run, name)))
                Assert.AreEqual(new FileInfo(Path.Combine(reference, name)).Length, new FileInfo(Path.Combine(run, name)).Length, $"{what}: {name}");
        if (File.Exists(Path.Combine(run, "metrics.jsonl")))
        {
            var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
            for (int i = 0; i < lines.Length; i++) Assert.AreEqual(i + 1, JsonNode.Parse(lines[i])!["epoch"]!.GetValue<int>(), $"{what}: metrics line {i + 1}");
        }
        if (File.Exists(Path.Combine(run, "curves.png")))
        {
            var png = File.ReadAllBytes(Path.Combine(run, "curves.png"));
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4], $"{what}: curves.png");
            CollectionAssert.AreEqual(new byte[] { (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^8..], $"{what}: curves.png ends with IEND");
        }
        foreach (var events in Directory.GetFiles(run, "events.out.tfevents.*"))
        {
            // TFRecord framing: u64 length, u32 CRC of it, the data, u32 CRC of the data; whole records up to the end.
            var bytes = File.ReadAllBytes(events);
            long at = 0;
            while (at + 12 <= bytes.Length) at += 12 + (long)BitConverter.ToUInt64(bytes, (int)at) + 4;
            Assert.AreEqual(bytes.Length, at, $"{what}: {events} ends with a whole record");
        }
        var root = Path.Combine(run, "checkpoints");
        if (Directory.Exists(root))
            foreach (var c in Directory.GetDirectories(root))
            {
                var state = JsonNode.Parse(File.ReadAllText(Path.Combine(c, "state.json")))!;
                Assert.AreEqual(Path.GetFileName(c), $"epoch-{state["epoch"]!.GetValue<int>():D4}", what);
                foreach (var f in new[] { "model.dat", "optimizer.dat" })
                    Assert.AreEqual(state["sha256"]![f]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(c, f)))), $"{what}: {c}/{f}");
            }
    }

    private static string Reference(int epochs)
    {
        var dir = Path.Combine(Tools.TempDir(), "run");
        var r = ToolRunner.Run("train-student", TrainArgs(dir, epochs));
        Assert.AreEqual(0, r.Code, r.Stderr);
        return dir;
    }

    // After a failure, with room again, --resume finishes the run with the uninterrupted run's results: nothing
    // complete was lost. Training-loss averages to 1e-6 relative, as in CrashTests (float32 rounding after a reload).
    private static void ResumeFinishesLikeTheReference(Failure f, int epochs, string reference)
    {
        Remount(f.Disk, 4L << 20);
        var r = ToolRunner.Run("train-student", TrainArgs(f.Run, epochs, "--resume"));
        Assert.AreEqual(0, r.Code, $"resume after the failure at {f.File}: {r.Stderr}");
        JsonObject Summary(string dir)
        {
            var s = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
            s.Remove("wall_seconds");
            return s;
        }
        var (want, got) = (Summary(reference), Summary(f.Run));
        var wantLosses = (JsonObject)want["final_losses"]!; var gotLosses = (JsonObject)got["final_losses"]!;
        foreach (var (k, v) in wantLosses) Assert.AreEqual(v!.GetValue<double>(), gotLosses[k]!.GetValue<double>(), 1e-6 * Math.Max(1, Math.Abs(v.GetValue<double>())), k);
        want.Remove("final_losses"); got.Remove("final_losses");
        Assert.AreEqual(want.ToJsonString(), got.ToJsonString(), $"resume after the failure at {f.File}");
    }

    [TestMethod]
    public void TrainStudentFailsCleanlyOnAFullDiskAtEveryWriteOfItsStartAndEpochs()
    {
        var reference = Reference(epochs: 2);
        var failures = Sweep(epochs: 2, reference, pages: 1, stop: f => f.File == "checkpoints/epoch-0002",
            atFailure: f => { if (f.File == "checkpoints/epoch-0002") ResumeFinishesLikeTheReference(f, 2, reference); });
        var hit = failures.Select(f => (f.File.StartsWith("events.out.tfevents.") ? "events" : f.File, f.PreviousCheckpoint)).ToList();
        foreach (var expected in new[]
                 {
                     ("run.json", false), ("recipe.json", false), ("metrics.jsonl", false), ("events", false),
                     ("checkpoints/epoch-0001", false),
                     ("metrics.jsonl", true),              // epoch 2's metrics, epoch 1's checkpoint on disk
                     ("checkpoints/epoch-0002", true),     // the next checkpoint: the previous one stays
                 })
            CollectionAssert.Contains(hit, expected, $"no disk failed at {expected}; failures: {string.Join(", ", failures.Select(f => $"{f.Pages}: {f.File}"))}");
    }

    [TestMethod]
    public void TrainStudentFailsCleanlyOnAFullDiskAtEveryFinalWrite()
    {
        // One epoch: nothing is deleted between the checkpoint and the end, so each final write is the next to need space.
        var reference = Reference(epochs: 1);
        // The test split is labelled, so the run also keeps its best epoch (the only one) in best/.
        string[] final = { "model.dat", "student.onnx", "student.safetensors", "student.json",
            "best/model.dat", "best/student.onnx", "best/student.safetensors", "best/student.json", "curves.png", "summary.json" };
        // Start with room for exactly what the run writes before its final outputs (lock file included).
        int before = Directory.GetFiles(reference, "*", SearchOption.AllDirectories)
            .Where(f => !final.Contains(Path.GetRelativePath(reference, f)))
            .Sum(f => (int)((new FileInfo(f).Length + Page - 1) / Page));
        var failures = Sweep(epochs: 1, reference, before, stop: f => f.File == "summary.json",
            atFailure: f => { if (f.File == "summary.json") ResumeFinishesLikeTheReference(f, 1, reference); });
        CollectionAssert.AreEquivalent(final, failures.Select(f => f.File).Distinct().ToArray(),
            $"failures: {string.Join(", ", failures.Select(f => $"{f.Pages}: {f.File}"))}");
        Assert.IsTrue(failures.All(f => f.PreviousCheckpoint), "the epoch's checkpoint is on disk, complete, at every final write");
    }
}
