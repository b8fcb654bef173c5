using Distill.Data;
using Distill.MLNet.Scoring;
using Distill.MLNet.Training;
using Distill.Student.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.MLNet.Tests;

/// <summary>
/// The Distill trainer in one process: progress in MLContext.Log, Score and PredictedLabel as ML.NET's trainers give
/// them (checked against ONNX Runtime running the exported student.onnx here), Evaluate, Save/Load, pipelines.
/// </summary>
[TestClass]
[DoNotParallelize]   // trains: seeds torch's global generator
public sealed class DistillTrainerTests
{
    private static string _cache = "";
    private const int Rows = 512;

    [ClassInitialize]
    public static async Task MakeCache(TestContext _) => _cache = await Fixtures.FmnistCacheAsync(limit: Rows);

    private static DistillTrainerOptions Options(string? outDir = null, string features = "Features") => new()
    {
        CacheDirectory = _cache, FeatureColumnName = features, OutputDirectory = outDir, Threads = 2,
        Recipe = new Recipe { Student = "mlp-20-20", Loss = "kd", Epochs = 1, Seed = 3, Device = "cpu" },
    };

    [TestMethod]
    public void ScoresAreTheExportedStudentsSoftmaxAndProgressGoesToTheLog()
    {
        var ml = new MLContext(seed: 0);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source.StartsWith("DistillTrainer") && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info) lock (messages) messages.Add(e.RawMessage); };
        var outDir = Fixtures.TempDir();
        var model = ml.MulticlassClassification.Trainers.Distill(Options(outDir)).Fit(ml.Data.LoadFromDataset("fashion-mnist", "train"));
        Assert.IsTrue(messages.Any(m => m.StartsWith("epoch 1/1: loss ")), string.Join("\n", messages));

        var test = ml.Data.TakeRows(ml.Data.LoadFromDataset("fashion-mnist", "test"), 200);
        var scored = model.Transform(test);
        Assert.AreEqual(10, ((VectorDataViewType)scored.Schema["Score"].Type).Size);
        var keyType = (KeyDataViewType)scored.Schema["PredictedLabel"].Type;
        Assert.AreEqual(10UL, keyType.Count);
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["PredictedLabel"].GetKeyValues(ref names);
        CollectionAssert.AreEqual(Fixtures.FmnistCard.Classes, names.DenseValues().Select(n => n.ToString()).ToArray());
        CollectionAssert.AreEqual(new[] { "Features", "Label", "Score", "PredictedLabel" }, scored.Schema.Where(c => !c.IsHidden).Select(c => c.Name).ToArray());

        // The reference: train-student's export (student.onnx) run here on pixels preprocessed by hand, softmax in double.
        var (pixels, _) = Fixtures.ReadIdx("test");
        var card = Fixtures.FmnistCard;
        var input = new float[200 * 784];
        for (int i = 0; i < input.Length; i++) input[i] = (float)((pixels[i] / 255.0 - card.Mean![0]) / card.Std![0]);
        using var session = new InferenceSession(Path.Combine(outDir, "student.onnx"));
        using var x = OrtValue.CreateTensorValueFromMemory(input, new long[] { 200, 1, 28, 28 });
        using var outputs = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["input"] = x }, new[] { "logits" });
        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        for (int i = 0; i < 200; i++)
        {
            var z = logits.AsSpan(i * 10, 10).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < 10; c++) Assert.AreEqual(Math.Exp(z[c] - max) / sum, scores[i][c], 1e-5, $"image {i} class {c}");
            Assert.AreEqual((uint)Array.IndexOf(scores[i], scores[i].Max()) + 1, predicted[i], $"image {i}: PredictedLabel is the key of the top score");
        }

        var metrics = ml.MulticlassClassification.Evaluate(scored);
        int correct = Enumerable.Range(0, 200).Count(i => predicted[i] == scored.GetColumn<uint>("Label").ElementAt(i));
        Assert.AreEqual(correct / 200.0, metrics.MicroAccuracy, 1e-12);
    }

    [TestMethod]
    public void TrainsTheWeightsTrainStudentTrainsForTheSameRecipe()
    {
        var ml = new MLContext(seed: 0);
        var outDir = Fixtures.TempDir();
        ml.MulticlassClassification.Trainers.Distill(Options(outDir)).Fit(ml.Data.LoadFromDataset("fashion-mnist", "train"));
        var run = Fixtures.TempDir();
        var tool = ToolRunner.Run("train-student", new[] { "--cache", _cache, "--dataset", "fashion-mnist", "--student", "mlp-20-20", "--loss", "kd",
            "--epochs", "1", "--seed", "3", "--threads", "2", "--device", "cpu", "--out", run });
        Assert.AreEqual(0, tool.Code, tool.Stderr);

        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(run, "student.onnx")), File.ReadAllBytes(Path.Combine(outDir, "student.onnx")), "the exported students");
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(run, "student.safetensors")), File.ReadAllBytes(Path.Combine(outDir, "student.safetensors")), "their weights");
        static double Loss(string dir) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Single())!["loss"]!.GetValue<double>();
        Assert.AreEqual(Loss(run), Loss(outDir), 0.0, "epoch 1's training loss");

        var again = Assert.ThrowsExactly<DistillException>(() => ml.MulticlassClassification.Trainers.Distill(Options(outDir)).Fit(ml.Data.LoadFromDataset("fashion-mnist", "train")));
        StringAssert.StartsWith(again.Message, $"{outDir} already holds a finished run");
    }

    [TestMethod]
    public void SavedLoadedAndUsedThroughAPredictionEngine()
    {
        var ml = new MLContext(seed: 0);
        var train = ml.Data.LoadFromDataset("fashion-mnist", "train");
        var model = ml.MulticlassClassification.Trainers.Distill(Options()).Fit(train);
        var path = Path.Combine(Fixtures.TempDir(), "model.zip");
        ml.Model.Save(model, train.Schema, path);

        var other = new MLContext(seed: 1);
        other.ComponentCatalog.RegisterAssembly(typeof(DistilledStudentTransformer).Assembly);
        var loaded = other.Model.Load(path, out var schema);
        Assert.AreEqual("Features", schema[0].Name);
        var (pixels, _) = Fixtures.ReadIdx("test");
        var images = Enumerable.Range(0, 20).Select(i => new Image { Features = pixels[(i * 784)..((i + 1) * 784)].Select(p => (float)p).ToArray() }).ToArray();
        var before = ml.Model.CreatePredictionEngine<Image, Prediction>(model);
        var after = other.Model.CreatePredictionEngine<Image, Prediction>(loaded);
        foreach (var image in images)
        {
            var (a, b) = (before.Predict(image), after.Predict(image));
            Assert.AreEqual(a.PredictedLabel, b.PredictedLabel);
            CollectionAssert.AreEqual(a.Score, b.Score);
            Assert.AreEqual((uint)Array.IndexOf(a.Score, a.Score.Max()) + 1, a.PredictedLabel);
        }
    }

    [TestMethod]
    public void WorksInsideAPipelineOnAnyViewOfTheSameData()
    {
        var ml = new MLContext(seed: 0);
        // A copied column is not the dataset view any more: the trainer reads it, and its content fingerprint is the IDX files'.
        var pipeline = ml.Transforms.CopyColumns("Pixels", "Features")
            .Append(ml.MulticlassClassification.Trainers.Distill(Options(features: "Pixels")))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel"));
        var model = pipeline.Fit(ml.Data.LoadFromDataset("fashion-mnist", "train"));
        var names = model.Transform(ml.Data.TakeRows(ml.Data.LoadFromDataset("fashion-mnist", "test"), 5)).GetColumn<string>("PredictedName").ToArray();
        Assert.HasCount(5, names);
        foreach (var name in names) CollectionAssert.Contains(Fixtures.FmnistCard.Classes, name);
    }

    [TestMethod]
    public void DataTheCacheWasNotMadeFromIsRefused()
    {
        var ml = new MLContext(seed: 0);
        var e = Assert.ThrowsExactly<DistillException>(() =>
            ml.MulticlassClassification.Trainers.Distill(Options()).Fit(ml.Data.LoadFromDataset("fashion-mnist", "test")));
        Assert.AreEqual($"cache {_cache} was made from the 'train' split, not 'test'", e.Message);

        var badLoss = Options();
        badLoss.Recipe = badLoss.Recipe with { Loss = "nope" };
        e = Assert.ThrowsExactly<DistillException>(() => ml.MulticlassClassification.Trainers.Distill(badLoss).Fit(ml.Data.LoadFromDataset("fashion-mnist", "train")));
        StringAssert.Contains(e.Message, "'nope'");
    }

    public sealed class Image
    {
        [VectorType(1, 28, 28)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    public sealed class Prediction
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
