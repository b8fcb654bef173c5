using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Distill.Tools.Tests;

/// <summary>
/// train-student's subcommands as commands. `export` (from a run, and from a checkpoint's weights with the cache):
/// the exported ONNX graph computes the MLP that the exported safetensors hold (numpy reads them; the test runs the
/// MLP by hand) and reaches the run's own test accuracy in ONNX Runtime. `loss-eval` reproduces PyTorch's golden loss
/// values and gradients (tests/Distill.Student.Tests/golden/losses.json) in float64 and float32.
/// </summary>
[TestClass]
public sealed class ExportAndLossEvalCommandTests
{
    /// <summary>tiny-idx test images as the student sees them: (raw / 255 − 0.5) / 0.25, 16 values each.</summary>
    private static double[][] TestImages()
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(Tools.Fixtures, "tiny-idx", "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gz.CopyTo(buffer);
        var bytes = buffer.ToArray()[16..];
        return bytes.Chunk(16).Select(img => img.Select(p => (p / 255.0 - 0.5) / 0.25).ToArray()).ToArray();
    }

    [TestMethod]
    public void ExportWritesTheRunsStudentFromTheRunOrACheckpoint()
    {
        var dir = Tools.TempDir();
        string Cache(string split)
        {
            var c = Path.Combine(dir, split);
            Tools.Ok("precompute-logits", "--teacher", Path.Combine(Tools.Fixtures, "names-x-linear.onnx"), "--dataset", Tools.TinyIdx,
                "--split", split, "--mean", "0.5", "--std", "0.25", "--out", c, "--device", "cpu");
            return c;
        }
        string train = Cache("train"), test = Cache("test"), run = Path.Combine(dir, "run");
        Tools.Ok("train-student", "--cache", train, "--test-cache", test, "--student", "mlp:8", "--loss", "kd", "--epochs", "2",
            "--batch", "16", "--lr", "0.05", "--threads", "1", "--out", run);
        double accuracy = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "summary.json")))!["final_test_acc"]!.GetValue<double>();

        var fromRun = Path.Combine(dir, "from-run");
        var printed = Tools.Ok("train-student", "export", "--run", run, "--out", fromRun);
        CollectionAssert.AreEqual(new[] { "student.onnx", "student.json", "student.safetensors" }.Select(f => Path.Combine(fromRun, f)).Append("163 parameters").ToArray(),
            printed.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var fromCheckpoint = Path.Combine(dir, "from-checkpoint");
        Tools.Ok("train-student", "export", "--weights", Path.Combine(run, "checkpoints", "epoch-0002", "model.dat"), "--student", "mlp:8",
            "--cache", train, "--out", fromCheckpoint);

        // The safetensors as numpy reads them, run by hand: fc1(relu(fc0(x))).
        var w = JsonNode.Parse(Python.Run("Shared/read_safetensors.py", Path.Combine(fromRun, "student.safetensors"), "--values"))!["tensors"]!.AsArray()
            .ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
        double[] Layer(string name, double[] x, int outputs, bool relu) => Enumerable.Range(0, outputs).Select(o =>
        {
            double v = w[$"layers.{name}.bias"][o] + x.Select((xi, i) => w[$"layers.{name}.weight"][o * x.Length + i] * xi).Sum();
            return relu ? Math.Max(0, v) : v;
        }).ToArray();
        var expected = TestImages().Select(x => Layer("fc1", Layer("fc0", x, 8, relu: true), 3, relu: false)).ToArray();

        // Both exports in ONNX Runtime (precompute-logits, preprocessing from each export's card).
        float[][] OnnxLogits(string export)
        {
            var cache = Path.Combine(export, "cache");
            var stdout = Tools.Ok("precompute-logits", "--teacher", Path.Combine(export, "student.onnx"), "--dataset", Tools.TinyIdx, "--split", "test",
                "--out", cache, "--device", "cpu");
            StringAssert.Contains(stdout, $"teacher top-1: {accuracy.ToString("F4", CultureInfo.CurrentCulture)}", "the run's own test accuracy");
            return Tools.Logits(cache);
        }
        var ort = OnnxLogits(fromRun);
        for (int i = 0; i < expected.Length; i++)
            for (int c = 0; c < 3; c++)
                Assert.AreEqual(expected[i][c], ort[i][c], 1e-5, $"image {i} class {c}");
        var again = OnnxLogits(fromCheckpoint);
        CollectionAssert.AreEqual(ort.SelectMany(r => r).ToArray(), again.SelectMany(r => r).ToArray(), "the last checkpoint holds the final weights");

        var card = JsonNode.Parse(File.ReadAllText(Path.Combine(fromRun, "student.json")))!;
        Assert.AreEqual(163, card["parameters"]!.GetValue<int>());
        // export --run keeps the teacher's identity from the run (not the run's own student.onnx), as the run's card has it.
        var runCard = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "student.json")))!;
        string teacherSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Tools.Fixtures, "names-x-linear.onnx"))));
        Assert.AreEqual("names-x-linear.onnx", card["distilled_from"]!["model"]!.GetValue<string>());
        Assert.AreEqual(teacherSha, card["distilled_from"]!["sha256"]!.GetValue<string>());
        Assert.AreEqual(runCard["distilled_from"]!.ToJsonString(), card["distilled_from"]!.ToJsonString());
        Assert.AreEqual(runCard["task"]!.GetValue<string>(), card["task"]!.GetValue<string>());
        Assert.AreEqual("x", card["input"]!["name"]!.GetValue<string>(), "the teacher's input name");

        var missing = ToolRunner.Run("train-student", new[] { "export", "--run", Path.Combine(dir, "no-run") });
        Assert.AreEqual(1, missing.Code);
        CollectionAssert.AreEqual(new[] { $"error: run directory {Path.Combine(dir, "no-run")} not found" }, missing.ErrorLines);
    }

    [TestMethod]
    [DataRow("float64", 1e-9)]
    [DataRow("float32", 1e-5)]
    public void LossEvalReproducesPyTorchsGoldenValues(string dtype, double tolerance)
    {
        var golden = Path.Combine(RepoRoot.Dir, "tests", "Distill.Student.Tests", "golden", "losses.json");
        var cases = JsonNode.Parse(File.ReadAllText(golden))!["cases"]!.AsArray();
        var output = Path.Combine(Tools.TempDir(), "results.json");
        var stdout = Tools.Ok("train-student", "loss-eval", "--cases", golden, "--out", output, "--dtype", dtype);
        StringAssert.Contains(stdout, $"{cases.Count} cases evaluated in {dtype}");
        var results = JsonNode.Parse(File.ReadAllText(output))!["results"]!.AsArray();
        Assert.HasCount(cases.Count, results);
        for (int i = 0; i < cases.Count; i++)
        {
            string what = $"case {i} ({cases[i]!["loss"]})";
            double value = cases[i]!["value"]!.GetValue<double>();
            Assert.AreEqual(value, results[i]!["value"]!.GetValue<double>(), tolerance * Math.Max(1, Math.Abs(value)), what);
            var g = cases[i]!["grad_student"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var got = results[i]!["grad_student"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.HasCount(g.Length, got, what);
            double scale = Math.Max(1e-12, g.Max(Math.Abs));
            for (int k = 0; k < g.Length; k++) Assert.AreEqual(g[k], got[k], tolerance * scale, $"{what}: gradient {k}");
        }
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
    }
}
