using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>Paths and small helpers this suite uses; the tools themselves run through <see cref="ToolRunner"/>.</summary>
internal static class Tools
{
    public static string Fixtures => Path.Combine(RepoRoot.Dir, "tests", "Distill.Teacher.Tests", "fixtures");
    /// <summary>This suite's own fixtures (tests/Distill.Tools.Tests/fixtures).</summary>
    public static string OwnFixtures => Path.Combine(RepoRoot.Dir, "tests", "Distill.Tools.Tests", "fixtures");
    public static string Teacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string TinyIdx => "idx:" + Path.Combine(Fixtures, "tiny-idx");

    public static string TempDir() => TempFolder.Create("distill-tools-tests");

    /// <summary>Sends <paramref name="signal"/> (e.g. "STOP", "CONT", "INT") to a process with kill(1).</summary>
    public static void Signal(int pid, string signal)
    {
        using var p = Process.Start("kill", new[] { "-" + signal, pid.ToString() })!;
        p.WaitForExit();
        Assert.AreEqual(0, p.ExitCode, $"kill -{signal} {pid}");
    }

    /// <summary>
    /// Ctrl-C by progress, not by time: once <paramref name="reached"/> holds, the tool is frozen (SIGSTOP), sent
    /// <see cref="CtrlC"/> and woken, so the interrupt lands mid-run however fast the machine is.
    /// </summary>
    public static void PressCtrlCWhen(Process p, Func<bool> reached)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!reached() && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Assert.IsFalse(p.HasExited, "the run finished before it could be interrupted");
        Signal(p.Id, "STOP");
        Signal(p.Id, CtrlC);
        Signal(p.Id, "CONT");
    }

    /// <summary>
    /// The signal that stands for Ctrl-C here: "INT", unless this process ignores SIGINT (a shell starts background
    /// jobs that way and children inherit it, so .NET in the tool would never see it); then "TERM", which the tools
    /// handle the same way (ToolMain: Ctrl-C or SIGTERM, exit 130).
    /// </summary>
    public static string CtrlC
    {
        get
        {
            var ignored = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:"))[7..].Trim();
            return (Convert.ToUInt64(ignored, 16) & (1UL << (2 - 1))) != 0 ? "TERM" : "INT";
        }
    }

    /// <summary>Runs a tool that must succeed; returns its stdout.</summary>
    public static string Ok(string tool, params string[] args)
    {
        var r = ToolRunner.Run(tool, args);
        Assert.AreEqual(0, r.Code, $"{tool} {string.Join(" ", args)}: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Starts the tool and SIGKILLs it as soon as <paramref name="reached"/> holds (polled every 2 ms).</summary>
    public static void KillWhen(string tool, string[] args, Func<bool> reached, string what)
    {
        using var p = ToolRunner.Start(tool, args, drain: true);
        var deadline = Stopwatch.StartNew();
        while (!reached())
        {
            Assert.IsFalse(p.HasExited, $"{tool} ended before {what}");
            Assert.IsLessThan(120.0, deadline.Elapsed.TotalSeconds, $"{tool} did not reach {what} in 120 s");
            Thread.Sleep(2);
        }
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
    }

    /// <summary>Every row group of a cache, in order.</summary>
    public static List<LogitBatch> ReadAll(string dir)
    {
        using var cache = LogitCacheReader.Open(dir);
        var all = new List<LogitBatch>();
        for (int g = 0; g < cache.RowGroupCount; g++) all.Add(cache.ReadRowGroupAsync(g).GetAwaiter().GetResult());
        return all;
    }

    /// <summary>Rows × C logits of a dense cache, one array per row.</summary>
    public static float[][] Logits(string dir) =>
        ReadAll(dir).SelectMany(b => Enumerable.Range(0, b.Rows).Select(r => b.RowLogits(r).ToArray())).ToArray();

    /// <summary>
    /// An IDX dataset of <paramref name="n"/> random 4×4 images with 3 classes, written in the test (both splits hold the
    /// same images): more rows than tiny-idx, for runs that must last long enough to be interrupted.
    /// </summary>
    public static string WriteIdx(string dir, int n, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[n * 16];
        rng.NextBytes(pixels);
        var labels = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(3)).ToArray();
        static byte[] BigEndian(params int[] v) => v.SelectMany(x => new[] { (byte)(x >> 24), (byte)(x >> 16), (byte)(x >> 8), (byte)x }).ToArray();
        foreach (var prefix in new[] { "train", "t10k" })
        {
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), BigEndian(0x803, n, 4, 4).Concat(pixels).ToArray());
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), BigEndian(0x801, n).Concat(labels).ToArray());
        }
        return "idx:" + dir;
    }
}
