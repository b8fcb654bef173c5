using System.Diagnostics;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// The `mnist` dataset name (README: IDX files under /usr/share/datasets/mnist). Debian has no MNIST package to
/// install, so each tool runs in a private mount namespace (unshare, as root like CI) where a folder of the test's IDX
/// files is bind-mounted over /usr/share/datasets: the machine's own folder is never touched. precompute-logits caches
/// PyTorch's logits (fixtures/reference-logits.json) and train-student trains on the cache with the dataset it records.
/// </summary>
[TestClass]
public sealed class MnistDatasetNameTests
{
    /// <summary>Runs a tool with <paramref name="datasets"/> standing in for /usr/share/datasets.</summary>
    private static ToolRunner.Result RunWith(string datasets, string tool, params string[] args)
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--mount", "--propagation", "private", "--", "sh", "-c", "mount --bind \"$0\" /usr/share/datasets && exec \"$@\"",
                     datasets, "dotnet", ToolRunner.Dll(tool) }.Concat(args))
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"{tool} did not finish in 300 s"); }
        return new ToolRunner.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    [TestMethod]
    public void MnistReadsTheDebianLayoutInBothTools()
    {
        var before = Directory.GetFileSystemEntries("/usr/share/datasets");   // Fashion-MNIST's folder (tools/ensure-data.sh)
        var dir = Tools.TempDir();
        var datasets = Path.Combine(dir, "datasets");
        var mnist = Directory.CreateDirectory(Path.Combine(datasets, "mnist")).FullName;
        foreach (var f in Directory.GetFiles(Path.Combine(Tools.Fixtures, "tiny-idx"))) File.Copy(f, Path.Combine(mnist, Path.GetFileName(f)));

        var cache = Path.Combine(dir, "cache");
        var r = RunWith(datasets, "precompute-logits", "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), "--dataset", "mnist",
            "--split", "test", "--mean", "0.5", "--std", "0.25", "--out", cache, "--device", "cpu");
        Assert.AreEqual(0, r.Code, r.Stderr);
        StringAssert.Contains(r.Stdout, "on mnist test (12 samples)");
        using (var c = LogitCacheReader.Open(cache))
        {
            Assert.AreEqual("mnist", c.Metadata.DatasetName);
            Assert.AreEqual(12, c.Metadata.DatasetCount);
        }
        // PyTorch's logits of the same teacher on the same twelve images (make_fixtures.py).
        var reference = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Tools.Fixtures, "reference-logits.json")))!["net"]!.AsArray();
        var logits = Tools.Logits(cache);
        for (int i = 0; i < 12; i++)
            for (int k = 0; k < 3; k++)
                Assert.AreEqual(reference[i]![k]!.GetValue<double>(), logits[i][k], 1e-4, $"image {i} class {k}");

        // train-student opens the dataset the cache records: mnist again.
        var t = RunWith(datasets, "train-student", "--cache", cache, "--split", "test", "--student", "mlp:8", "--loss", "kd", "--epochs", "1",
            "--batch", "4", "--threads", "1", "--out", Path.Combine(dir, "run"));
        Assert.AreEqual(0, t.Code, t.Stderr);
        StringAssert.Contains(t.Stdout, "train-student: mlp:8 on mnist test (12 cached rows, 3 classes");
        CollectionAssert.AreEqual(before, Directory.GetFileSystemEntries("/usr/share/datasets"), "the machine's own folder is untouched");
    }
}
