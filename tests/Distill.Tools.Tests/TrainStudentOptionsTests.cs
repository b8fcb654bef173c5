using System.Text.Json.Nodes;
using Distill.Cache;

namespace Distill.Tools.Tests;

/// <summary>
/// README features of train-student inside real runs, each checked against a value worked out in the test. Every run
/// trains mlp:8 with seed 5 on the 40 rows of tiny-idx in one full batch, so epoch 1's losses are taken at the
/// initial weights; a run with lr 1e-30 exports those weights unchanged (student.safetensors, read with numpy) and its
/// student.onnx gives their logits S (ONNX Runtime, through precompute-logits). From S the test computes PyTorch's
/// label-smoothed cross-entropy and the KD loss against each kind of cache (float32, float16, top-k, an ensemble's
/// `separate` columns); from the initial weights it computes SGD's and AdamW's first step; and it computes the step
/// and one-cycle schedules' learning rate for every epoch of metrics.jsonl.
/// </summary>
[TestClass]
public sealed class TrainStudentOptionsTests
{
    private const int N = 40, C = 3;
    private const double T = 4;   // the default temperature
    private static string _dir = "";
    private static float[][] _student = [];     // S: the initial student's logits per training row
    private static int[] _labels = [];
    private static Dictionary<string, float[]> _initial = [];   // the initial weights, by state_dict name
    private static JsonNode _p0 = null!;        // metrics of the lr 1e-30 run (epoch 1)

    private static string Cache(string name) => Path.Combine(_dir, name);

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _dir = Tools.TempDir();
        void Precompute(string name, params string[] more) => Tools.Ok("precompute-logits", new[] { "--dataset", Tools.TinyIdx, "--split", "train",
            "--mean", "0.5", "--std", "0.25", "--out", Cache(name), "--device", "cpu", "--threads", "1" }.Concat(more).ToArray());
        string Fixture(string f) => Path.Combine(Tools.Fixtures, f);
        Precompute("f32", "--teacher", Fixture("names-x-linear.onnx"));
        Precompute("f16", "--teacher", Fixture("names-x-linear.onnx"), "--dtype", "float16");
        Precompute("top2", "--teacher", Fixture("names-x-linear.onnx"), "--top-k", "2");
        Precompute("top3", "--teacher", Fixture("names-x-linear.onnx"), "--top-k", "3");
        Precompute("a", "--teacher", Fixture("ensemble-a.onnx"));
        Precompute("separate", "--teacher", Fixture("ensemble-a.onnx"), "--teacher", Fixture("ensemble-b.onnx"), "--ensemble", "separate");

        var p0 = Train("p0", "--cache", Cache("f32"), "--loss", "ce", "--label-smoothing", "0.2", "--lr", "1e-30");
        _p0 = Metrics(p0)[0];
        _initial = Weights(p0);
        Tools.Ok("precompute-logits", "--teacher", Path.Combine(p0, "student.onnx"), "--dataset", Tools.TinyIdx, "--split", "train",
            "--out", Cache("student"), "--device", "cpu", "--threads", "1");
        _student = Tools.Logits(Cache("student"));
        _labels = Tools.ReadAll(Cache("f32")).SelectMany(b => b.Labels!.Take(b.Rows)).ToArray();
        Assert.HasCount(N, _student);
    }

    /// <summary>train-student on the tiny data: mlp:8, seed 5, one full batch, 1 epoch, unless <paramref name="args"/> say otherwise.</summary>
    private static string Train(string name, params string[] args)
    {
        var run = Path.Combine(_dir, "runs", name);
        var defaults = new[] { ("--dataset", Tools.TinyIdx), ("--student", "mlp:8"), ("--seed", "5"), ("--batch", $"{N}"), ("--epochs", "1"),
            ("--threads", "1"), ("--out", run) };
        Tools.Ok("train-student", defaults.Where(d => !args.Contains(d.Item1)).SelectMany(d => new[] { d.Item1, d.Item2 }).Concat(args).ToArray());
        return run;
    }

    private static JsonNode[] Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();

    /// <summary>student.safetensors as numpy reads it (tests/Shared/read_safetensors.py), every value by tensor name.</summary>
    private static Dictionary<string, float[]> Weights(string run) =>
        JsonNode.Parse(Python.Run("Shared/read_safetensors.py", Path.Combine(run, "student.safetensors"), "--values"))!["tensors"]!.AsArray()
            .ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!["values"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray());

    private static double[] LogSoftmax(IReadOnlyList<double> z, double temperature = 1)
    {
        double max = z.Max() / temperature;
        double lse = max + Math.Log(z.Sum(v => Math.Exp(v / temperature - max)));
        return z.Select(v => v / temperature - lse).ToArray();
    }

    [TestMethod]
    public void LabelSmoothingIsPyTorchsCrossEntropy()
    {
        // PyTorch's cross_entropy(label_smoothing=ε): (1 − ε) · (−log p_y) + ε · mean_c(−log p_c), batch mean.
        const double eps = 0.2;
        double expected = Enumerable.Range(0, N).Average(i =>
        {
            var lp = LogSoftmax(_student[i].Select(v => (double)v).ToArray());
            return (1 - eps) * -lp[_labels[i]] + eps * -lp.Average();
        });
        Assert.AreEqual(expected, _p0["ce"]!.GetValue<double>(), 1e-5 * expected);
    }

    /// <summary>The teacher's logits each cache kind stands for, worked out from the float32 caches.</summary>
    private static double[][] TeacherLogits(string kind)
    {
        var f32 = Tools.Logits(Cache(kind == "separate" ? "a" : "f32"));
        return kind switch
        {
            "f16" => f32.Select(r => r.Select(v => (double)(float)(Half)v).ToArray()).ToArray(),
            // Top-2 of 3: the two stored classes keep their exact probability, the third gets the rest.
            "top2" => f32.Select(r =>
            {
                double max = r.Max(), lse = max + Math.Log(r.Sum(v => Math.Exp(v - max)));
                var top = Enumerable.Range(0, C).OrderByDescending(c => r[c]).ThenBy(c => c).Take(2).ToArray();
                double rest = Math.Log(1 - top.Sum(c => Math.Exp(r[c] - lse)));
                return Enumerable.Range(0, C).Select(c => top.Contains(c) ? r[c] - lse : rest).ToArray();
            }).ToArray(),
            _ => f32.Select(r => r.Select(v => (double)v).ToArray()).ToArray(),   // f32, top3 (K = C), separate (its first teacher)
        };
    }

    [TestMethod]
    [DataRow("f32")]
    [DataRow("f16")]
    [DataRow("top2")]
    [DataRow("top3")]
    [DataRow("separate")]
    public void KdTrainsOnWhatEachCacheKindStores(string kind)
    {
        var run = Train("kd-" + kind, "--cache", Cache(kind), "--loss", "kd", "--ce-weight", "0", "--kd-weight", "1", "--lr", "1e-30");
        // Hinton et al. 2015: T² · KL(softmax(t/T) ‖ softmax(s/T)), batch mean, at the initial weights.
        var teacher = TeacherLogits(kind);
        double expected = Enumerable.Range(0, N).Average(i =>
        {
            var lt = LogSoftmax(teacher[i], T);
            var ls = LogSoftmax(_student[i].Select(v => (double)v).ToArray(), T);
            return T * T * Enumerable.Range(0, C).Sum(c => Math.Exp(lt[c]) * (lt[c] - ls[c]));
        });
        Assert.AreEqual(expected, Metrics(run)[0]["kd"]!.GetValue<double>(), 1e-5 * expected, kind);
    }

    [TestMethod]
    public void SgdTakesANesterovMomentumStepWithCoupledWeightDecay()
    {
        const double lr = 0.1, momentum = 0.9, decay = 0.5;
        string[] Sgd(string wd) => new[] { "--cache", Cache("f32"), "--loss", "ce", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
            "--nesterov", "true", "--weight-decay", wd };
        var with = Weights(Train("sgd-decay", Sgd("0.5")));
        var without = Weights(Train("sgd", Sgd("0")));
        // PyTorch's SGD, first step: d = g + λ·p0, buffer = d, nesterov: p1 = p0 − lr·(1 + μ)·d; the same gradient in
        // both runs, so the two results differ by lr·(1 + μ)·λ·p0 exactly.
        foreach (var (name, p0) in _initial)
            for (int i = 0; i < p0.Length; i++)
                Assert.AreEqual(-lr * (1 + momentum) * decay * p0[i], with[name][i] - without[name][i], 2e-6, $"{name}[{i}]");
    }

    [TestMethod]
    public void AdamWDecaysTheWeightsApartFromTheGradientStep()
    {
        // AdamW (Loshchilov & Hutter 2019), first step: p1 = p0 · (1 − lr·λ) − lr · g / (|g| + ε), so every weight
        // moves to p0/2 ± lr here (lr·λ = 1/2), or stays at p0/2 where its gradient is 0. Adam with L2 would not.
        const double lr = 0.5, decay = 1;
        var after = Weights(Train("adamw", "--cache", Cache("f32"), "--loss", "ce", "--optimizer", "adamw", "--lr", "0.5", "--weight-decay", "1"));
        foreach (var (name, p0) in _initial)
            for (int i = 0; i < p0.Length; i++)
            {
                double step = Math.Abs(after[name][i] - p0[i] * (1 - lr * decay));
                Assert.IsTrue(step < 1e-7 || Math.Abs(step - lr) < 1e-2 * lr, $"{name}[{i}]: moved {step} from p0/2");
            }
    }

    [TestMethod]
    public void StepAndOneCycleSchedulesSetEachEpochsLearningRate()
    {
        // 40 rows in batches of 8: 5 steps per epoch; metrics.jsonl logs the rate of each epoch's last step.
        const int steps = 5;
        const double lr = 0.01;
        var step = Metrics(Train("step", "--cache", Cache("f32"), "--loss", "ce", "--batch", "8", "--epochs", "5", "--lr", "0.01",
            "--schedule", "step", "--step-epochs", "2", "--lr-decay", "0.5"));
        for (int e = 1; e <= 5; e++)   // × 0.5 every 2 epochs (PyTorch's StepLR)
            Assert.AreEqual(lr * Math.Pow(0.5, (e - 1) / 2), step[e - 1]["lr"]!.GetValue<double>(), 1e-15, $"step, epoch {e}");

        const int epochs = 4, total = epochs * steps;
        var cycle = Metrics(Train("one-cycle", "--cache", Cache("f32"), "--loss", "ce", "--batch", "8", "--epochs", $"{epochs}", "--lr", "0.01",
            "--schedule", "one-cycle"));
        // PyTorch's OneCycleLR defaults: from lr/25 up to lr over the first 30% of the steps, then down to lr/25/1e4,
        // cosine annealing in both phases.
        static double Cos(double from, double to, double pct) => to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1);
        double up = 0.3 * total - 1;
        for (int e = 1; e <= epochs; e++)
        {
            int s = e * steps - 1;
            double expected = s <= up ? Cos(lr / 25, lr, s / up) : Cos(lr, lr / 25 / 1e4, (s - up) / (total - 1 - up));
            Assert.AreEqual(expected, cycle[e - 1]["lr"]!.GetValue<double>(), 1e-12 * lr, $"one-cycle, epoch {e}");
        }
    }
}
