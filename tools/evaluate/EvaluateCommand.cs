using System.CommandLine;
using Distill.Cache;
using Distill.Data;

namespace Distill.Tools.Evaluate;

/// <summary>evaluate TEACHER.onnx STUDENT.onnx: both models on one labelled split, a Markdown report and two PNGs.</summary>
internal static class EvaluateCommand
{
    public static RootCommand Create()
    {
        var teacher = new Argument<string>("teacher") { Description = "Teacher .onnx (its card <model>.json supplies preprocessing and class names)" };
        var student = new Argument<string>("student") { Description = "Student .onnx, e.g. RUN/student.onnx from train-student (its card student.json beside it)" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Formats), DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split") { Description = "Split to evaluate on", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("train", "test");
        var output = new Option<string>("--out") { Description = "Markdown report; the plots go beside it (NAME.png, NAME-confusion.png)", DefaultValueFactory = _ => "report.md" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (latency depends on it)", DefaultValueFactory = _ => 2 };
        var cache = new Option<string?>("--cache") { Description = "A logits cache (from precompute-logits): both models get the preprocessing it recorded" };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean for both models, comma-separated (overrides their cards')" };
        var std = new Option<string?>("--std") { Description = "Per-channel std for both models, comma-separated (overrides their cards')" };
        var scale = new Option<string?>("--scale") { Description = "Multiplier of the raw values before mean/std for both models, e.g. 1/255 (overrides their cards')" };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Feed both models the raw values as they are stored" };
        var root = new RootCommand(ToolHelp.Describe(
            "Evaluate a teacher and a student ONNX classifier on a labelled split: top-1, agreement, ECE, parameters, file size,\n" +
            "latency per image at batch 1 and 256 (ONNX Runtime, CPU), confusion matrix; writes a Markdown report and two PNGs.\n" +
            "Each model's preprocessing comes from --scale/--mean/--std, else --cache, else its card; the report says which.",
            "evaluate models/fmnist-resnet/fmnist-resnet.onnx runs/kd/student.onnx --out runs/kd/evaluation.md",
            "evaluate my-teacher.onnx runs/mine/student.onnx --dataset npy:test.npy,test-labels.npy --cache caches/mine-train --out eval.md"));
        root.Arguments.Add(teacher);
        root.Arguments.Add(student);
        foreach (var o in new Option[] { dataset, split, output, threads, cache, scale, mean, std, noNormalize }) root.Options.Add(o);
        root.SetAction((ParseResult r) =>
        {
            int t = ThreadLimit.Check(r.GetValue(threads), "--threads");
            var models = new[] { r.GetValue(teacher)!, r.GetValue(student)! };
            foreach (var path in models)
                if (!File.Exists(path)) throw new DistillException($"model {path} not found");
            var flags = PreprocessingFlags.Parse(r.GetValue(scale), r.GetValue(mean), r.GetValue(std), r.GetValue(noNormalize));
            var fromCache = r.GetValue(cache) is { } dir ? CachePreprocessing(dir, flags) : null;
            var preprocessing = models.Select(m => fromCache ?? flags.Require(TeacherCard.TryLoadFor(m), m)).ToArray();
            // Labelled (folder datasets) and transformed (resize/crop) as the teacher's card says, as precompute-logits does.
            var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!,
                TeacherCard.DatasetOptionsFor(TeacherCard.TryLoadFor(models[0]), w => Console.Error.WriteLine(w)));
            var scores = models.Select((path, i) =>
            {
                Console.Error.WriteLine($"evaluating {Path.GetFileName(path)} on {data.Name} {data.Split} ({data.Count:N0} images), {preprocessing[i]}");
                if (ValueRangeCheck.Warning(data, preprocessing[i]) is { } w) Console.Error.WriteLine(w);
                return ModelEvaluation.Run(path, data, preprocessing[i], t);
            }).ToArray();
            Console.WriteLine(EvaluationReport.Write(r.GetValue(output)!, scores[0], scores[1], data, t));
            return 0;
        });
        return root;
    }

    /// <summary>The preprocessing a cache recorded (what the student was trained with); flags and --cache exclude each other.</summary>
    private static ResolvedPreprocessing CachePreprocessing(string dir, PreprocessingFlags flags)
    {
        if (flags.Any || flags.NoNormalize) throw new DistillException("--cache gives the preprocessing the cache recorded: it excludes --scale, --mean, --std and --no-normalize");
        using var reader = LogitCacheReader.Open(dir);
        return new ResolvedPreprocessing(reader.Metadata.Preprocessing, $"cache {dir}");
    }
}
