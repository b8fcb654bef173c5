using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// train-student as a process against the run-integrity rules: one owner per --out (a second run is refused with the
/// holder's pid and touches nothing), an existing run is replaced only with --overwrite, --resume refuses other
/// inputs in one line, --init-from starts from another run's weights, corrupt checkpoint files and a cache whose
/// labels are not the dataset's are named, bounds are one line. Every refusal: one "error:" line, exit code 1, the
/// directory's files unchanged. Data: the 40-sample tiny-idx fixture and caches of two fixture teachers.
/// </summary>
[TestClass]
public sealed class TrainIntegrityTests
{
    private static string _tmp = "";
    private static string TrainCache => Path.Combine(_tmp, "tiny-train");
    private static string OtherTeacherCache => Path.Combine(_tmp, "other-train");
    private static string WrongLabelCache => Path.Combine(_tmp, "wrong-label");

    [ClassInitialize]
    public static async Task Setup(TestContext _)
    {
        _tmp = Tools.TempDir();
        foreach (var (teacher, dir) in new[] { ("names-x-linear.onnx", TrainCache), ("ensemble-a.onnx", OtherTeacherCache) })
        {
            var r = ToolRunner.Run("precompute-logits", new[] { "--teacher", Path.Combine(Tools.Fixtures, teacher), "--dataset", Tools.TinyIdx,
                "--split", "train", "--mean", "0.5", "--std", "0.25", "--out", dir, "--device", "cpu" });
            Assert.AreEqual(0, r.Code, r.Stderr);
        }
        // The same cache with sample 4's label moved to another valid class: only the join with the dataset can tell.
        using var tiny = LogitCacheReader.Open(TrainCache);
        var b = await tiny.ReadRowGroupAsync(0);
        var labels = (int[])b.Labels!.Clone();
        int at = Array.IndexOf(b.Index, 4L);
        labels[at] = (labels[at] + 1) % 3;
        await using var w = await LogitCacheWriter.CreateAsync(WrongLabelCache, tiny.Metadata, overwrite: false);
        await w.WriteAsync(b.Index, labels, b.Logits);
        await w.CompleteAsync();
    }

    private static string[] Args(string outDir, params string[] more) => new[]
    {
        "--cache", TrainCache, "--dataset", Tools.TinyIdx, "--student", "mlp:8", "--loss", "kd", "--epochs", "2", "--seed", "5",
        "--threads", "1", "--out", outDir,
    }.Concat(more).ToArray();

    // Replaces the value of a flag in Args (System.CommandLine refuses a flag given twice).
    private static string[] With(string[] args, string flag, string value)
    {
        var a = (string[])args.Clone();
        a[Array.IndexOf(a, flag) + 1] = value;
        return a;
    }

    private static string Error(ToolRunner.Result r)
    {
        Assert.AreEqual(1, r.Code, $"exit code; stdout: {r.Stdout} stderr: {r.Stderr}");
        var errors = r.ErrorLines.Where(l => l.StartsWith("error:")).ToList();
        Assert.AreEqual(1, errors.Count, r.Stderr);
        Assert.IsFalse(r.Stderr.Contains("   at "), r.Stderr);
        Assert.IsFalse(r.Stderr.Contains("Exception"), r.Stderr);
        return errors[0];
    }

    private static ToolRunner.Result Train(params string[] args) => ToolRunner.Run("train-student", args);

    private static string NewRun(params string[] more)
    {
        var dir = Path.Combine(Tools.TempDir(), "run");
        var r = Train(Args(dir, more));
        Assert.AreEqual(0, r.Code, r.Stderr);
        return dir;
    }

    // Every file under the directory with its SHA-256, to show a refused run changed nothing.
    private static Dictionary<string, string> Snapshot(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => Path.GetFileName(f) != ".distill.lock")
        .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    private static void AssertUnchanged(Dictionary<string, string> before, string dir, string what)
    {
        var after = Snapshot(dir);
        CollectionAssert.AreEquivalent(before.Keys.ToList(), after.Keys.ToList(), $"{what}: files");
        foreach (var (f, h) in before) Assert.AreEqual(h, after[f], $"{what}: {f}");
    }


    [TestMethod]
    public void ASecondRunIntoABusyOutputDirectoryIsRefusedWithTheHoldersPid()
    {
        var dir = Path.Combine(Tools.TempDir(), "run");
        using var first = ToolRunner.Start("train-student", With(Args(dir, "--batch", "1"), "--epochs", "60"), drain: true);
        // The holder writes its pid into the (new, empty) lock file once it holds the lock; stopped there, it holds it
        // for as long as this test needs, whatever the machine's load. (Only its size is read: opening a locked file
        // from .NET fails.)
        var lockFile = Path.Combine(dir, ".distill.lock");
        var clock = Stopwatch.StartNew();
        while (!(new FileInfo(lockFile) is { Exists: true, Length: > 0 }))
        {
            Assert.IsFalse(first.HasExited, "the first run ended before taking the lock");
            Assert.IsTrue(clock.Elapsed < TimeSpan.FromSeconds(60), "the first run never took the lock");
            Thread.Sleep(2);
        }
        Tools.Signal(first.Id, "STOP");
        try
        {
            var busy = $"error: output directory {dir} is in use by another run (pid {first.Id}); wait for it to finish or choose another directory";
            Assert.AreEqual(busy, Error(Train(Args(dir))), "a second run");
            Assert.AreEqual(busy, Error(Train(Args(dir, "--overwrite"))), "a second run with --overwrite");
            Assert.AreEqual(busy, Error(Train(Args(dir, "--resume"))), "a second run with --resume");
            Assert.AreEqual(busy, Error(ToolRunner.Run("train-student", new[] { "export", "--run", dir })), "an export into the run");
        }
        finally { Tools.Signal(first.Id, "CONT"); }
        Assert.IsTrue(first.WaitForExit(120_000), "the first run did not finish");
        Assert.AreEqual(0, first.ExitCode, "the first run, undisturbed, finishes");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!;
        Assert.AreEqual(60, summary["epochs"]!.GetValue<int>());
        Assert.AreEqual(60, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
    }

    [TestMethod]
    public void ARunAlreadyInTheOutputDirectoryIsReplacedOnlyWithOverwrite()
    {
        var dir = NewRun();
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "the user's own file");
        var finished = Snapshot(dir);
        Assert.AreEqual($"error: {dir} already holds a finished run (pass --overwrite to replace it, or choose another --out)", Error(Train(Args(dir))));
        AssertUnchanged(finished, dir, "finished run");

        // Interrupted after its last checkpoint (what a kill before the final outputs leaves).
        foreach (var f in new[] { "summary.json", "model.dat", "student.onnx", "student.json", "student.safetensors", "curves.png" })
            File.Delete(Path.Combine(dir, f));
        var interrupted = Snapshot(dir);
        Assert.AreEqual($"error: {dir} holds an interrupted run (epoch-0002 checkpointed): continue it with --resume, or pass --overwrite to replace it",
            Error(Train(With(Args(dir), "--seed", "6"))));
        AssertUnchanged(interrupted, dir, "interrupted run");

        var r = Train(With(With(Args(dir, "--overwrite"), "--seed", "6"), "--epochs", "1"));
        Assert.AreEqual(0, r.Code, r.Stderr);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.AreEqual(6, run["recipe"]!["seed"]!.GetValue<int>());
        CollectionAssert.AreEqual(new[] { "epoch-0001" }, Directory.GetDirectories(Path.Combine(dir, "checkpoints")).Select(Path.GetFileName).ToArray());
        Assert.AreEqual(1, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
        Assert.AreEqual(1, Directory.GetFiles(dir, "events.out.tfevents.*").Length, "the old run's events are gone");
        Assert.AreEqual("the user's own file", File.ReadAllText(Path.Combine(dir, "notes.txt")), "only a run's own files are removed");
    }

    [TestMethod]
    public void ResumeRefusesOtherInputsInOneLineListingThem()
    {
        var dir = NewRun();
        File.Delete(Path.Combine(dir, "summary.json"));   // interrupted after its last checkpoint
        var before = Snapshot(dir);
        string Tail(string fields) => $"error: --resume: {dir} was started with other inputs: {fields}. " +
            $"Resume with the run's own inputs, or start a new run (another --out, --overwrite, or --init-from {dir})";

        Assert.AreEqual(Tail("loss kd → dkd; lr 0.001 → 0.01"), Error(Train(With(Args(dir, "--resume", "--lr", "0.01"), "--loss", "dkd"))));
        Assert.AreEqual(Tail("student mlp:8 → mlp:9"), Error(Train(With(Args(dir, "--resume"), "--student", "mlp:9"))));
        string Sha(string cache) { using var c = LogitCacheReader.Open(cache); return c.Metadata.TeacherSha256[..12]; }
        string Sum(string cache) { using var c = LogitCacheReader.Open(cache); return c.ContentChecksum[..12]; }
        Assert.AreEqual(Tail($"train cache teacher names-x-linear.onnx (sha256 {Sha(TrainCache)}…) → ensemble-a.onnx (sha256 {Sha(OtherTeacherCache)}…); " +
            $"train cache content (checksum {Sum(TrainCache)}… → {Sum(OtherTeacherCache)}…, 40 → 40 rows)"),
            Error(Train(With(Args(dir, "--resume"), "--cache", OtherTeacherCache))));
        AssertUnchanged(before, dir, "refused resumes");

        // The device and the thread count may change; the run then finishes as before.
        var ok = Train(With(Args(dir, "--resume", "--device", "cpu"), "--threads", "2"));
        Assert.AreEqual(0, ok.Code, ok.Stderr);
        Assert.AreEqual(2, JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!["epochs"]!.GetValue<int>());
    }

    [TestMethod]
    public void InitFromStartsANewRunFromAnotherRunsWeights()
    {
        var a = NewRun();
        var b = Path.Combine(Tools.TempDir(), "run");
        // A learning rate of 1e-9 barely moves the weights in one step, so B's end equals A's end if B started there.
        var r = Train(With(Args(b, "--init-from", a, "--lr", "1e-9"), "--epochs", "1"));
        Assert.AreEqual(0, r.Code, r.Stderr);
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(b, "run.json")))!["init_from"]!;
        Assert.AreEqual(Path.GetFullPath(a), source["run"]!.GetValue<string>());
        Assert.AreEqual("model.dat", source["file"]!.GetValue<string>());
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(a, "model.dat")))), source["sha256"]!.GetValue<string>());
        Assert.IsTrue(MaxDifference(a, b) < 1e-6, $"B starts from A's weights: max |Δ| {MaxDifference(a, b)}");
        // The same run without --init-from starts from the seed's weights: far from A's (the comparison can fail).
        var fresh = Path.Combine(Tools.TempDir(), "run");
        Assert.AreEqual(0, Train(With(Args(fresh, "--lr", "1e-9"), "--epochs", "1")).Code);
        Assert.IsTrue(MaxDifference(a, fresh) > 1e-3, $"max |Δ| {MaxDifference(a, fresh)}");

        // B interrupted before its first checkpoint resumes from the same file (run.json), unless that file changed.
        void Interrupt(string run) { File.Delete(Path.Combine(run, "summary.json")); Directory.Delete(Path.Combine(run, "checkpoints"), true); }
        Interrupt(b);
        var resumed = Train(With(Args(b, "--resume", "--lr", "1e-9"), "--epochs", "1"));
        Assert.AreEqual(0, resumed.Code, resumed.Stderr);
        Assert.IsTrue(MaxDifference(a, b) < 1e-6, $"resumed B starts from A's weights: max |Δ| {MaxDifference(a, b)}");
        Interrupt(b);
        var model = Path.Combine(a, "model.dat");
        var original = File.ReadAllBytes(model);
        File.WriteAllBytes(model, original.Append((byte)0).ToArray());
        Assert.AreEqual($"error: the run started from {Path.Combine(Path.GetFullPath(a), "model.dat")}, which has changed since; it cannot be resumed before its first checkpoint: start over with --overwrite",
            Error(Train(With(Args(b, "--resume", "--lr", "1e-9"), "--epochs", "1"))));
        File.WriteAllBytes(model, original);

        // An interrupted run gives its latest checkpoint; another student is one line.
        File.Delete(Path.Combine(a, "summary.json"));
        var c = Path.Combine(Tools.TempDir(), "run");
        Assert.AreEqual(0, Train(With(Args(c, "--init-from", a), "--epochs", "1")).Code);
        Assert.AreEqual(Path.Combine("checkpoints", "epoch-0002", "model.dat"),
            JsonNode.Parse(File.ReadAllText(Path.Combine(c, "run.json")))!["init_from"]!["file"]!.GetValue<string>());
        StringAssert.StartsWith(Error(Train(With(Args(Path.Combine(Tools.TempDir(), "run"), "--init-from", a), "--student", "mlp:9"))),
            $"error: --init-from {Path.GetFullPath(a)}: its student mlp:8 is ");
        Assert.AreEqual("error: --init-from names the run in --out: continue a run with --resume; --init-from starts a new run in another directory",
            Error(Train(Args(a, "--init-from", a))));
    }

    // Largest |Δ| between the float32 tensors of two runs' student.safetensors (same names and shapes).
    private static double MaxDifference(string runA, string runB)
    {
        var (ta, da) = Tensors(Path.Combine(runA, "student.safetensors"));
        var (tb, db) = Tensors(Path.Combine(runB, "student.safetensors"));
        CollectionAssert.AreEquivalent(ta.Keys.ToList(), tb.Keys.ToList());
        double max = 0;
        foreach (var (name, (begin, end)) in ta)
        {
            var x = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(da.AsSpan((int)begin, (int)(end - begin)));
            var y = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(db.AsSpan((int)tb[name].Begin, (int)(tb[name].End - tb[name].Begin)));
            Assert.AreEqual(x.Length, y.Length, name);
            for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        }
        return max;
    }

    // safetensors, from its specification: u64 header length, JSON header {name: {dtype, shape, data_offsets}}, data.
    private static (Dictionary<string, (long Begin, long End)> Tensors, byte[] Data) Tensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        var header = JsonNode.Parse(System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        var tensors = new Dictionary<string, (long, long)>();
        foreach (var (name, t) in header)
        {
            if (name == "__metadata__") continue;
            Assert.AreEqual("F32", t!["dtype"]!.GetValue<string>());
            var off = t["data_offsets"]!.AsArray();
            tensors[name] = (off[0]!.GetValue<long>(), off[1]!.GetValue<long>());
        }
        return (tensors, bytes[(8 + (int)n)..]);
    }

    [TestMethod]
    public void CorruptCheckpointFilesAreNamedAndOverwriteIsSuggested()
    {
        var dir = NewRun();
        File.Delete(Path.Combine(dir, "summary.json"));
        var checkpoint = Path.Combine(dir, "checkpoints", "epoch-0002");
        var good = Directory.GetFiles(checkpoint).ToDictionary(f => Path.GetFileName(f)!, File.ReadAllBytes);
        string Expect(string file, string why) =>
            $"error: checkpoint file {Path.Combine(checkpoint, file)} is unreadable ({why}); the run cannot resume from it: start over with --overwrite";
        var cases = new (string File, Func<byte[], byte[]> Damage, string Why)[]
        {
            ("model.dat", b => b[..(b.Length / 2)], "its SHA-256 differs from the one recorded in state.json"),
            ("optimizer.dat", b => { var c = (byte[])b.Clone(); c[c.Length - 3] ^= 0x40; return c; }, "its SHA-256 differs from the one recorded in state.json"),
            ("state.json", _ => "{ \"epoch\": 2, "u8.ToArray(), "invalid JSON at line 1"),
            ("state.json", _ => "{\"epoch\": 2}"u8.ToArray(), "fields are missing"),
        };
        foreach (var (file, damage, why) in cases)
        {
            foreach (var (f, bytes) in good) File.WriteAllBytes(Path.Combine(checkpoint, f), bytes);
            File.WriteAllBytes(Path.Combine(checkpoint, file), damage(good[file]));
            Assert.AreEqual(Expect(file, why), Error(Train(Args(dir, "--resume"))), file);
        }
    }

    [TestMethod]
    public void ACacheWhoseLabelsAreNotTheDatasetsIsRefusedNamingTheSample()
    {
        int label;
        using (var c = LogitCacheReader.Open(WrongLabelCache))
        {
            var b = c.ReadRowGroupAsync(0).GetAwaiter().GetResult();
            label = b.Labels![Array.IndexOf(b.Index, 4L)];
        }
        var err = Error(Train(With(Args(Path.Combine(Tools.TempDir(), "run")), "--cache", WrongLabelCache)));
        Assert.AreEqual($"error: the cache's label for sample 4 is {label}, the dataset's ({Tools.TinyIdx} train) is {(label + 2) % 3}: the cache does not match this data", err);
    }

    [TestMethod]
    public void BoundsAndEmptyPathsAreOneLine()
    {
        var dir = Path.Combine(Tools.TempDir(), "run");
        int max = 4 * Environment.ProcessorCount;
        Assert.AreEqual($"error: --threads must be between 1 and {max} (4 × the {Environment.ProcessorCount} cores), got 100000",
            Error(Train(With(Args(dir), "--threads", "100000"))));
        Assert.AreEqual("error: --out must name a directory", Error(Train(Args(""))));
        Assert.AreEqual("error: --out must name a directory", Error(ToolRunner.Run("train-student", new[] { "export", "--weights", "x", "--student", "mlp:8", "--out", "" })));
        var recipe = Path.Combine(Tools.TempDir(), "null-student.json");
        File.WriteAllText(recipe, """{"student": null, "loss": "kd", "epochs": 1}""");
        Assert.AreEqual("error: --student must name a student",
            Error(Train("--cache", TrainCache, "--dataset", Tools.TinyIdx, "--recipe", recipe, "--out", dir)));
        Assert.IsFalse(Directory.Exists(dir), "nothing is written for a refused run");
    }
}
