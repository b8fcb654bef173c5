using Distill.MLNet;
using Distill.MLNet.Scoring;
using Distill.MLNet.Precompute;
using Distill.MLNet.Training;
using Distill.Student.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Distill.Samples.MLNet;

/// <summary>Fashion-MNIST → the teacher's cache → Distill (kd) → Evaluate → Save → Load → predict.</summary>
internal static class Train
{
    public static int Run(string[] args)
    {
        var flags = Flags.Parse(args);
        string cacheDir = flags.Get("--cache", "caches/fmnist-train"), modelPath = flags.Get("--model", "runs/mlnet-sample/model.zip");
        var ml = new MLContext(seed: 0);
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Info && e.Source.Split(";")[0] is "DistillTrainer" or "PrecomputeTeacherLogitsEstimator") Console.WriteLine(e.RawMessage); };

        // Fashion-MNIST as IDataViews: Features (raw pixels 0..255, [1, 28, 28]) and Label (a key).
        var train = ml.Data.LoadFromDataset("fashion-mnist", "train");
        var test = ml.Data.LoadFromDataset("fashion-mnist", "test");

        // The teacher runs once: its logits are cached in Parquet (precompute-logits writes the same cache).
        if (!Directory.Exists(cacheDir))
            ml.Transforms.PrecomputeTeacherLogits(new PrecomputeTeacherLogitsOptions
            {
                TeacherPath = flags.Get("--teacher", "models/fmnist-resnet/fmnist-resnet.onnx"), OutputDirectory = cacheDir, Limit = flags.Int("--limit", 0),
                Threads = flags.Int("--threads", 0),
            }).Fit(train);
        var cache = ml.Data.LoadFromLogitCache(cacheDir, train);   // refused unless made from this data
        foreach (var row in cache.Preview(maxRows: 3).RowView)
            Console.WriteLine(string.Join("  ", row.Values.Select(c => $"{c.Key}={Show(c.Value)}")));

        // Distill: the recipe is train-student's (same recipe and seed, same student).
        var trainer = ml.MulticlassClassification.Trainers.Distill(new DistillTrainerOptions
        {
            CacheDirectory = cacheDir,
            Recipe = new Recipe { Student = flags.Get("--student", "mlp-256-256"), Loss = "kd", Epochs = flags.Int("--epochs", 5), Seed = flags.Int("--seed", 0) },
            Threads = flags.Int("--threads", 0) is > 0 and var t ? t : null,
        });
        var model = trainer.Fit(train);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"micro-accuracy {metrics.MicroAccuracy:R}");
        Console.WriteLine($"macro-accuracy {metrics.MacroAccuracy:R}");

        // The .zip holds the student as ONNX; loading it needs ML.NET, its OnnxTransformer and Distill.MLNet, not TorchSharp.
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(modelPath))!);
        ml.Model.Save(model, train.Schema, modelPath);
        Console.WriteLine($"saved {modelPath}");
        Console.WriteLine("predicted " + string.Join(", ", Predict.Labels(ml, model, test, flags.Int("--count", 10))));
        ml.ComponentCatalog.RegisterAssembly(typeof(DistilledStudentTransformer).Assembly);   // once per MLContext, before Load
        var loaded = ml.Model.Load(modelPath, out _);
        Console.WriteLine("reloaded " + string.Join(", ", Predict.Labels(ml, loaded, test, flags.Int("--count", 10))));
        return 0;
    }

    private static string Show(object value) => value switch
    {
        VBuffer<float> v => "[" + string.Join(" ", v.DenseValues().Take(4).Select(x => x.ToString("F2"))) + (v.Length > 4 ? " …]" : "]"),
        _ => $"{value}",
    };
}
