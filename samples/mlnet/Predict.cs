using Distill.MLNet;
using Distill.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.Samples.MLNet;

/// <summary>A saved model in a process of its own: predictions need only ML.NET and ONNX Runtime.</summary>
internal static class Predict
{
    public static int Run(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine("usage: mlnet-sample predict MODEL.zip [--count N]"); return 1; }
        var flags = Flags.Parse(args[1..]);
        var ml = new MLContext(seed: 0);
        ml.ComponentCatalog.RegisterAssembly(typeof(DistilledStudentTransformer).Assembly);
        var model = ml.Model.Load(args[0], out _);
        var test = ml.Data.LoadFromDataset("fashion-mnist", "test");
        Console.WriteLine("predicted " + string.Join(", ", Labels(ml, model, test, flags.Int("--count", 10))));
        var torch = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name!).Where(n => n.StartsWith("TorchSharp")).ToList();
        Console.WriteLine($"TorchSharp loaded: {(torch.Count == 0 ? "no" : string.Join(", ", torch))}");
        return 0;
    }

    private sealed class Prediction
    {
        public string PredictedName { get; set; } = "";
    }

    /// <summary>The class names the model predicts for the first <paramref name="count"/> rows.</summary>
    public static IEnumerable<string> Labels(MLContext ml, ITransformer model, IDataView data, int count)
    {
        var named = ml.Transforms.Conversion.MapKeyToValue(nameof(Prediction.PredictedName), "PredictedLabel")
            .Fit(model.Transform(data)).Transform(model.Transform(ml.Data.TakeRows(data, count)));
        return ml.Data.CreateEnumerable<Prediction>(named, reuseRowObject: false).Select(p => p.PredictedName).ToList();
    }
}
