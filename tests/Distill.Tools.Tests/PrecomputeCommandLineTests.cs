using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// README features of precompute-logits through its command line, each against a value worked out in the test or by
/// numpy: --input NAME and --scale (numpy's logits of a two-input teacher), --dtype float16 and --top-k (the float32
/// cache's logits rounded to half / their K largest and log-sum-exp), `compare` (max |Δ logit| and top-1
/// disagreements of two caches computed here), `bench` (runs at a tiny size and prints its ratios), and the resume
/// of an interrupted ensemble cache.
/// </summary>
[TestClass]
public sealed class PrecomputeCommandLineTests
{
    private const int Rows = 300;
    private static string _dir = "", _f32 = "", _f16 = "", _top3 = "";

    /// <summary>The default teacher on the first 300 test images, stored as float32, float16 and top-3.</summary>
    [ClassInitialize]
    public static void Caches(TestContext _)
    {
        _dir = Tools.TempDir();
        string Cache(string name, params string[] more)
        {
            var dir = Path.Combine(_dir, name);
            Tools.Ok("precompute-logits", new[] { "--teacher", Tools.Teacher, "--split", "test", "--limit", $"{Rows}", "--out", dir,
                "--device", "cpu", "--threads", "1" }.Concat(more).ToArray());
            return dir;
        }
        _f32 = Cache("f32");
        _f16 = Cache("f16", "--dtype", "float16");
        _top3 = Cache("top3", "--top-k", "3");
    }

    private static double[][] Reference(string key) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Tools.OwnFixtures, "two-inputs.reference.json")))![key]!.AsArray()
            .Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();

    private static void AssertClose(double[][] expected, float[][] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int r = 0; r < expected.Length; r++)
            for (int c = 0; c < expected[r].Length; c++)
                Assert.AreEqual(expected[r][c], actual[r][c], 1e-4 * Math.Max(1, Math.Abs(expected[r][c])), $"{what}: row {r} class {c}");
    }

    [TestMethod]
    public void InputNamePicksTheFedInputAndScaleSetsThePreprocessing()
    {
        var teacher = Path.Combine(Tools.OwnFixtures, "two-inputs.onnx");
        string[] Args(string outDir, params string[] more) => new[] { "--teacher", teacher, "--dataset", Tools.TinyIdx, "--split", "test",
            "--out", Path.Combine(_dir, outDir), "--device", "cpu" }.Concat(more).ToArray();

        var ambiguous = ToolRunner.Run("precompute-logits", Args("none"));
        Assert.AreEqual(1, ambiguous.Code);
        CollectionAssert.AreEqual(new[] { "error: teacher two-inputs.onnx has 2 inputs (mask, image); pick one with --input NAME" }, ambiguous.ErrorLines);

        Tools.Ok("precompute-logits", Args("image", "--input", "image", "--mean", "0.5", "--std", "0.25"));
        AssertClose(Reference("scale_1_255_mean_0.5_std_0.25"), Tools.Logits(Path.Combine(_dir, "image")), "--input image");
        using (var c = LogitCacheReader.Open(Path.Combine(_dir, "image"))) Assert.AreEqual("image", c.Metadata.InputName);

        // x = (raw · scale − mean) / std with scale 1: raw pixels centred on 128.
        Tools.Ok("precompute-logits", Args("scaled", "--input", "image", "--scale", "1", "--mean", "128", "--std", "64"));
        AssertClose(Reference("scale_1_mean_128_std_64"), Tools.Logits(Path.Combine(_dir, "scaled")), "--scale 1");
        var inspect = Tools.Ok("precompute-logits", "inspect", Path.Combine(_dir, "scaled"));
        StringAssert.Contains(inspect, "preprocess:   scale=1 mean=[128] std=[64]");
    }

    [TestMethod]
    public void Float16StoresTheLogitsRoundedToHalf()
    {
        var f32 = Tools.Logits(_f32);
        var f16 = Tools.Logits(_f16);
        Assert.HasCount(Rows, f16);
        for (int r = 0; r < Rows; r++)
            CollectionAssert.AreEqual(f32[r].Select(v => (float)(Half)v).ToArray(), f16[r], $"row {r}");
        StringAssert.Contains(Tools.Ok("precompute-logits", "inspect", _f16), "in column 'logits', float16");
        Assert.IsLessThan(Bytes(_f32), Bytes(_f16), "half the bytes per logit");
    }

    private static long Bytes(string dir) => Directory.GetFiles(dir, "*.parquet").Sum(f => new FileInfo(f).Length);

    [TestMethod]
    public void TopKStoresTheLargestLogitsAndTheLogSumExpOfAll()
    {
        var f32 = Tools.Logits(_f32);
        var top = Tools.ReadAll(_top3);
        int row = 0;
        foreach (var b in top)
        {
            var t = (TopKRows)b.EncodedColumn(0)!;
            for (int r = 0; r < b.Rows; r++, row++)
            {
                var z = f32[row];
                // The three largest, descending (ties: the smaller class first), and log Σ exp over all ten.
                var expected = Enumerable.Range(0, z.Length).OrderByDescending(c => z[c]).ThenBy(c => c).Take(3).ToArray();
                CollectionAssert.AreEqual(expected, t.Index.Skip(r * 3).Take(3).ToArray(), $"row {row}: classes");
                CollectionAssert.AreEqual(expected.Select(c => z[c]).ToArray(), t.Values.Skip(r * 3).Take(3).ToArray(), $"row {row}: logits");
                double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
                Assert.AreEqual((double)(float)lse, t.LogSumExp[r], 0.0, $"row {row}: log-sum-exp, stored as float32");
            }
        }
        Assert.AreEqual(Rows, row);
        StringAssert.Contains(Tools.Ok("precompute-logits", "inspect", _top3), "in column 'logits', top-3 float32 logits + float32 log-sum-exp, label logit, mean/std");
    }

    [TestMethod]
    public void CompareReportsTheLargestDifferenceAndTheDisagreements()
    {
        var a = Tools.Logits(_f32);
        var b = Tools.Logits(_f16);
        double max = 0; long worst = -1; int disagree = 0;
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < 10; c++)
                if (Math.Abs(a[r][c] - b[r][c]) is var d && d > max) { max = d; worst = r; }
            if (LogitBatch.ArgMax(a[r]) != LogitBatch.ArgMax(b[r])) disagree++;
        }
        Assert.IsGreaterThan(0.0, max, "half precision changes some logits");
        var within = ToolRunner.Run("precompute-logits", new[] { "compare", _f32, _f16, "--tolerance", "0.1" });
        Assert.AreEqual(0, within.Code, within.Stderr);
        StringAssert.Contains(within.Stdout, $"rows: {Rows} × 10; max |Δ logit| = {max.ToString("E3", CultureInfo.CurrentCulture)} (sample {worst}); top-1 disagreements: {disagree}");
        StringAssert.Contains(within.Stdout, "within tolerance");
        // A tolerance below the largest difference fails the comparison.
        var above = ToolRunner.Run("precompute-logits", new[] { "compare", _f32, _f16, "--tolerance", (max / 2).ToString("R", CultureInfo.InvariantCulture) });
        Assert.AreEqual(1, above.Code);
        StringAssert.Contains(above.Stdout, "EXCEEDS tolerance");
    }

    [TestMethod]
    public void CompareOfTopKWithDenseIsInLogProbabilitySpaceOverTheStoredClasses()
    {
        // Stored classes (top 3 and the label) have log p = z − lse on both sides; the top-K side's lse is stored as
        // float32, so the largest difference is the largest |lse − (float)lse| over the rows, worked out here.
        var z = Tools.Logits(_f32);
        double expected = z.Max(row => { double m = row.Max(), lse = m + Math.Log(row.Sum(v => Math.Exp(v - m))); return Math.Abs(lse - (float)lse); });
        var result = ToolRunner.Run("precompute-logits", new[] { "compare", _f32, _top3 });
        Assert.AreEqual(0, result.Code, result.Stdout + result.Stderr);
        StringAssert.Contains(result.Stdout, "a top-K cache: compared in log-probability space over the classes both store");
        var m = Regex.Match(result.Stdout, @"max \|Δ log p\| = ([0-9.E+-]+) .*top-1 disagreements: 0");
        Assert.IsTrue(m.Success, result.Stdout);
        Assert.AreEqual(expected, double.Parse(m.Groups[1].Value, CultureInfo.CurrentCulture), 1e-3 * expected + 1e-12, result.Stdout);
    }

    [TestMethod]
    public void BenchRunsAndPrintsItsRatios()
    {
        var stdout = Tools.Ok("precompute-logits", "bench", "--teacher", Tools.Teacher, "--limit", "256", "--batch", "128", "--threads", "1",
            "--repeats", "1", "--device", "cpu");
        double Number(string s) => double.Parse(s, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.CurrentCulture);
        var ratio = Regex.Match(stdout, @"ratio precompute/bare: +([0-9.]+)");
        Assert.IsTrue(ratio.Success, stdout);
        Assert.IsTrue(Number(ratio.Groups[1].Value) is > 0 and < 10, stdout);
        var bytes = new Dictionary<string, double>();
        foreach (var name in new[] { "float32", "float16", "top-5", "top-5-f16", "top-5-f16-lse", "top-5-f16-lz4" })
        {
            // name, img/s, ÷ bare, ÷ float32, bytes/sample (file), bytes/sample (logits column)
            var m = Regex.Match(stdout, $@"^{Regex.Escape(name)} +([0-9,]+) +([0-9.]+) +([0-9.]+) +([0-9.]+) +([0-9.]+)$", RegexOptions.Multiline);
            Assert.IsTrue(m.Success, $"no {name} line in:\n{stdout}");
            Assert.IsTrue(Number(m.Groups[1].Value) > 0 && Number(m.Groups[2].Value) is > 0 and < 10 && Number(m.Groups[3].Value) is > 0 and < 10, m.Value);
            if (name == "float32") Assert.AreEqual(1.0, Number(m.Groups[3].Value), m.Value);
            bytes[name] = Number(m.Groups[4].Value);
            Assert.IsTrue(Number(m.Groups[5].Value) is > 0 and var column && column < bytes[name], m.Value);
        }
        Assert.IsLessThan(bytes["float32"], bytes["float16"], "float16 stores 2 bytes per logit instead of 4");
        Assert.IsLessThan(bytes["top-5"], bytes["top-5-f16"], "float16 top-5 values");
        Assert.IsLessThan(bytes["top-5-f16"], bytes["top-5-f16-lse"], "no extras: fewer bytes");
    }

    [TestMethod]
    public void AnInterruptedEnsembleCacheResumesToThePlainRun()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir, "idx")).FullName;
        const int n = 1536, group = 16;
        var dataset = Tools.WriteIdx(data, n, seed: 3);
        string[] Args(string outDir) => new[] { "--teacher", Path.Combine(Tools.Fixtures, "ensemble-a.onnx"), "--teacher", Path.Combine(Tools.Fixtures, "ensemble-b.onnx"),
            "--dataset", dataset, "--mean", "0.5", "--std", "0.25", "--batch", $"{group}", "--row-group", $"{group}", "--threads", "1",
            "--device", "cpu", "--out", outDir };
        var plainDir = Path.Combine(_dir, "ensemble-plain");
        Tools.Ok("precompute-logits", Args(plainDir));
        var plain = Tools.ReadAll(plainDir);

        var dir = Path.Combine(_dir, "ensemble-killed");
        Tools.KillWhen("precompute-logits", Args(dir), () => InterruptedCache.Segments(dir).Length >= 10, "10 row groups");
        Assert.IsFalse(File.Exists(Path.Combine(dir, CacheSchema.PartName(0))), "killed mid-run");
        long kept = InterruptedCache.SegmentRows(dir);
        var resumed = ToolRunner.Run("precompute-logits", Args(dir).Append("--resume").ToArray());
        Assert.AreEqual(0, resumed.Code, resumed.Stderr);
        StringAssert.Contains(resumed.Stdout, $", {n - kept:N0} computed now)", "only the missing row groups are computed");

        var got = Tools.ReadAll(dir);
        float[] Column(List<LogitBatch> batches, int extra) =>
            batches.SelectMany(b => (extra < 0 ? b.Logits : b.Extra[extra]).Take(b.Rows * 3)).ToArray();
        CollectionAssert.AreEqual(Column(plain, -1), Column(got, -1), "first teacher's logits");
        CollectionAssert.AreEqual(Column(plain, 0), Column(got, 0), "second teacher's logits (logits_t1)");
        CollectionAssert.AreEqual(plain.SelectMany(b => b.Index.Take(b.Rows)).ToArray(), got.SelectMany(b => b.Index.Take(b.Rows)).ToArray());
    }
}
