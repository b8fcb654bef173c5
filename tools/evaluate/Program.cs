using System.CommandLine;
using Distill.Data;
using Distill.Tools;
using Distill.Tools.Evaluate;

// evaluate: a teacher and a student ONNX model on one labelled split, side by side (Markdown report + two PNGs).
var teacher = new Argument<string>("teacher") { Description = "Teacher .onnx (its card <model>.json supplies preprocessing and names)" };
var student = new Argument<string>("student") { Description = "Student .onnx, e.g. RUN/student.onnx from train-student" };
var dataset = new Option<string>("--dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Formats), DefaultValueFactory = _ => "fashion-mnist" };
var split = new Option<string>("--split") { Description = "Split to evaluate on", DefaultValueFactory = _ => "test" };
split.AcceptOnlyFromAmong("train", "test");
var output = new Option<string>("--out") { Description = "Markdown report; the plots go beside it (NAME.png, NAME-confusion.png)", DefaultValueFactory = _ => "report.md" };
var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (latency depends on it)", DefaultValueFactory = _ => 2 };
var root = new RootCommand(
    "Evaluate a teacher and a student ONNX classifier on a labelled split: top-1, agreement, ECE, parameters, file size,\n" +
    "latency per image at batch 1 and 256 (ONNX Runtime, CPU), confusion matrix; writes a Markdown report and two PNGs.\n" +
    "Example: evaluate models/fmnist-resnet/fmnist-resnet.onnx runs/kd/student.onnx --out docs/export/evaluation.md");
root.Arguments.Add(teacher);
root.Arguments.Add(student);
foreach (var o in new Option[] { dataset, split, output, threads }) root.Options.Add(o);
root.SetAction((ParseResult r) =>
{
    int t = r.GetValue(threads);
    if (t < 1) throw new DistillException("--threads must be ≥ 1");
    foreach (var path in new[] { r.GetValue(teacher)!, r.GetValue(student)! })
        if (!File.Exists(path)) throw new DistillException($"model {path} not found");
    // Labelled (folder datasets) and transformed (resize/crop) as the teacher's card says, as precompute-logits does.
    var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!,
        TeacherCard.DatasetOptionsFor(TeacherCard.TryLoadFor(r.GetValue(teacher)!), w => Console.Error.WriteLine(w)));
    var scores = new[] { r.GetValue(teacher)!, r.GetValue(student)! }.Select(path =>
    {
        Console.Error.WriteLine($"evaluating {Path.GetFileName(path)} on {data.Name} {data.Split} ({data.Count:N0} images)...");
        return ModelEvaluation.Run(path, data, t);
    }).ToArray();
    Console.WriteLine(EvaluationReport.Write(r.GetValue(output)!, scores[0], scores[1], data, t));
    return 0;
});
return await ToolMain.InvokeAsync(root, args);
