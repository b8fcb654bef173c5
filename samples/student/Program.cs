using System.Globalization;
using Distill.Cache;
using Distill.Data;
using Distill.Student;
using Distill.Student.Losses;
using Distill.Student.Terms;
using Distill.Student.Training;
using Distill.Samples.Student;
using TorchSharp;

// Distill.Student as a library: read a logits cache, train an own TorchSharp module with an own loss next to CE, and
// keep what train-student keeps (metrics, summary.json, student.onnx).
//   dotnet run --project samples/student -- --cache caches/fmnist-train [--out runs/sample] [--epochs 1] [--limit 2000]
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var cacheDir = Arg("--cache") ?? throw new ArgumentException("usage: student-sample --cache DIR [--out DIR] [--epochs N] [--limit N]");
var outDir = Arg("--out");
int epochs = int.Parse(Arg("--epochs") ?? "1", CultureInfo.InvariantCulture);
int limit = int.Parse(Arg("--limit") ?? "0", CultureInfo.InvariantCulture);
torch.set_num_threads(2);

try
{
    // 1. The cache on its own: what made it and the first row.
    using (var cache = LogitCacheReader.Open(cacheDir))
    {
        var m = cache.Metadata;
        Console.WriteLine($"cache: {cache.RowCount:N0} rows × {m.ClassCount} classes from {m.TeacherFile} on {m.DatasetName} {m.Split}, {m.Preprocessing}");
        var first = await cache.ReadRowGroupAsync(0);
        var row = first.Logits.AsSpan(0, first.Width).ToArray();
        int top = Array.IndexOf(row, row.Max());
        Console.WriteLine($"sample {first.Index[0]}: teacher top-1 {m.ClassNames?[top] ?? top.ToString(CultureInfo.InvariantCulture)}" +
                          (first.Labels is { } l ? $", label {m.ClassNames?[l[0]] ?? l[0].ToString(CultureInfo.InvariantCulture)}" : ""));
    }

    // 2. An own loss, by name, usable in any recipe's terms.
    LossRegistry.Register<LogitMseParameters>("logit_mse", p => new LogitMseLoss(p));

    // 3. Train an own module: 0.5·CE + 0.5·logit_mse.
    using var data = TrainingData.Open(cacheDir, null);
    var recipe = new Recipe
    {
        Epochs = epochs, Limit = limit, Lr = 3e-3, Seed = 0,
        Terms = new() { new TermSpec { Loss = "ce", Weight = 0.5 }, new TermSpec { Loss = "logit_mse", Weight = 0.5 } },
    };
    torch.manual_seed(recipe.Seed);   // the module's initial weights: the same run twice gives the same numbers
    var student = new TinyCnn(data.ClassCount);
    var result = await Distiller.TrainAsync(student, data, recipe, outDir, events: new TrainerEvents
    {
        Notice = Console.WriteLine,
        EpochDone = e => Console.WriteLine($"epoch {e.Epoch}: loss {e.Losses["loss"]:F4}, test accuracy {e.TestAcc?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"}"),
    });
    Console.WriteLine($"trained {result.Parameters:N0} parameters in {result.WallSeconds:F1} s");
    if (outDir is not null)
    {
        var onnx = Path.Combine(outDir, "student.onnx");
        if (!File.Exists(onnx)) throw new DistillException($"{onnx} was not written");
        Console.WriteLine($"kept: {outDir} (student.onnx {new FileInfo(onnx).Length:N0} bytes, summary.json)");
    }
    return 0;
}
catch (DistillException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
