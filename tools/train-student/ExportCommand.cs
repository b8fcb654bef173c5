using System.CommandLine;
using Distill.Cache;
using Distill.Data;
using Distill.Student;
using Distill.Student.Export;
using Distill.Student.Output;

namespace Distill.Tools.TrainStudent;

/// <summary>
/// <c>export --weights FILE --student NAME --out DIR [--cache DIR | --teacher-card FILE]</c>, or <c>export --run DIR</c>
/// (model.dat, recipe.json's student): writes student.onnx, student.json and student.safetensors, each whole, holding
/// the output directory's lock (a run still writing there is refused).
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var weights = new Option<string?>("--weights") { Description = "TorchSharp weights (model.dat from a run or a checkpoint)" };
        var run = new Option<string?>("--run") { Description = "Run directory of train-student (model.dat and recipe.json); replaces --weights/--student" };
        var student = new Option<string?>("--student") { Description = $"Student architecture: {string.Join(", ", StudentRegistry.Names)}" };
        var cache = new Option<string?>("--cache") { Description = "Logits cache the student was trained on (input/output names, shape, preprocessing)" };
        var card = new Option<string?>("--teacher-card") { Description = "Teacher card JSON (default: models/STEM/STEM.json for the cache's teacher, else models/fmnist-resnet/fmnist-resnet.json)" };
        var outDir = new Option<string?>("--out") { Description = "Output directory (default: the run directory)" };
        var cmd = new Command("export", ToolHelp.Describe(
            "Export a trained student as ONNX (opset 17) + card JSON + safetensors; give --run DIR, or --weights FILE with --student and --cache (or --teacher-card)",
            "train-student export --run runs/kd",
            "train-student export --weights runs/kd/checkpoints/epoch-0005/model.dat --student mlp-256-256 --cache caches/fmnist-train --out runs/kd-epoch5"));
        foreach (var o in new Option[] { weights, run, student, cache, card, outDir }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult p) =>
        {
            var runDir = p.GetValue(run);
            if (runDir is not null && string.IsNullOrWhiteSpace(runDir)) throw new DistillException("--run must name a run directory");
            if (runDir is not null && !Directory.Exists(runDir)) throw new DistillException($"run directory {runDir} not found");
            var w = p.GetValue(weights) ?? (runDir is not null ? Path.Combine(runDir, RunDirectory.ModelFile) : throw new DistillException("give --weights FILE or --run DIR"));
            var o = p.GetValue(outDir) ?? runDir ?? throw new DistillException("give --out DIR");
            if (string.IsNullOrWhiteSpace(o)) throw new DistillException("--out must name a directory");
            using var held = OutputLock.Acquire(o, $"output directory {o}");
            if (!File.Exists(w))
                throw new DistillException(runDir is not null && p.GetValue(weights) is null
                    ? $"{runDir} has no {RunDirectory.ModelFile}: the run has not finished (export a checkpoint with --weights {Path.Combine(runDir, "checkpoints", "epoch-NNNN", "model.dat")})"
                    : $"weights {w} not found");
            var name = p.GetValue(student) ?? (runDir is not null ? Distill.Student.Training.Recipe.Load(Path.Combine(runDir, RunDirectory.RecipeFile)).Student
                : throw new DistillException("give --student NAME"));
            StudentExportSpec spec;
            if (p.GetValue(cache) is { } c)
            {
                using var reader = LogitCacheReader.Open(c);
                spec = StudentExportSpec.FromCache(reader.Metadata, p.GetValue(card));
            }
            else if (p.GetValue(card) is null && runDir is not null && File.Exists(Path.Combine(runDir, StudentExport.CardFile)))
                spec = StudentExportSpec.FromRunCard(Path.Combine(runDir, StudentExport.CardFile)); // the run's own card, its teacher kept
            else
            {
                var cardPath = p.GetValue(card) ?? Path.Combine("models", "fmnist-resnet", "fmnist-resnet.json");
                if (!File.Exists(cardPath)) throw new DistillException($"teacher card {cardPath} not found: give --cache or --teacher-card");
                spec = StudentExportSpec.FromTeacherCard(cardPath);
            }
            using var model = StudentRegistry.Create(name, spec.SampleShape, spec.ClassCount, spec.Heads);
            try { model.load(w); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new DistillException($"weights {w} do not fit a {name} for [{string.Join(",", spec.SampleShape)}] inputs and {spec.ClassCount} classes, or are unreadable ({e.Message.Split('\n')[0]}); give the --cache it was trained on");
            }
            model.eval();
            var r = StudentExport.WriteAll(model, name, spec, o);
            Console.WriteLine($"{r.OnnxPath}\n{r.CardPath}\n{r.SafetensorsPath}\n{r.Parameters:N0} parameters");
            return 0;
        });
        return cmd;
    }
}
