using Distill.Data;
using Distill.Student.Export;
using Distill.Student.Losses;
using Distill.Student.Output;
using Distill.Student.Students;
using Distill.Student.Terms;
using Distill.Student.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student;

/// <summary>
/// Library entry point: distill into your own TorchSharp module.
/// <code>
/// using var data = TrainingData.Open("caches/fmnist-train", "fashion-mnist", testCacheDir: "caches/fmnist-test");
/// var result = await Distiller.TrainAsync(myModule, data, new Recipe { Loss = "kd", Epochs = 10 }, outDir: "runs/mine");
/// </code>
/// The module maps a batch [B, ...sample shape] to logits [B, C]; it is run once on one zero sample first and refused
/// when it fails or its output is not [1, C] (<see cref="StudentShapeCheck"/>). The recipe's Student field is ignored
/// (the export names the student by the module's type).
/// With <see cref="Recipe.Teacher"/> set, caches made by another teacher are refused (<see cref="TeacherCheck"/>).
/// The objective is the recipe's terms (<see cref="Recipe.Terms"/> or the shorthand); a term's student output is
/// "logits" or a tap: a built-in's named tap, your <see cref="Students.ITappedStudent"/>'s, or a submodule name of your
/// module (a forward hook records its output). Losses of your own go into <see cref="Losses.LossRegistry.Register{TParams}"/>.
/// With an output directory the run owns it (<see cref="RunDirectory"/>): <c>mode</c> says what happens to
/// a run already there; every input is checked before anything in it is deleted or written. It writes what
/// train-student writes: run.json, recipe.json, metrics.jsonl, TensorBoard events, checkpoints, model.dat, curves.png,
/// summary.json, best/ (the best epoch, <see cref="BestEpoch"/>) and, when the module is one the ONNX exporter
/// supports (<see cref="OnnxExporter"/>; checked before training, and said through <see cref="TrainerEvents.Notice"/>
/// when not), student.onnx, student.json and student.safetensors beside model.dat and in best/.
/// </summary>
public static class Distiller
{
    /// <param name="init">Weights to start from (<see cref="InitialWeights.FromRun"/>); fresh optimizer and schedule.</param>
    public static Task<TrainResult> TrainAsync(nn.Module<Tensor, Tensor> student, TrainingData data, Recipe recipe,
        string? outDir = null, RunMode mode = RunMode.New, TrainerEvents? events = null,
        InitialWeights? init = null, CancellationToken ct = default)
    {
        // Decided after the student passed its shape check (RunAsync), so that a student that fails on a sample is
        // refused as such rather than by the exporter's trace.
        Action<nn.Module<Tensor, Tensor>, string>? Finishing()
        {
            if (outDir is null) return null;
            var spec = StudentExportSpec.FromCache(data.Cache.Metadata);
            string name = student.GetType().Name;
            if (ExportProblem(student, spec) is { } why)
            {
                events?.Notice?.Invoke($"student.onnx will not be written: {why}");
                return null;
            }
            return (model, dir) =>
            {
                model.to(CPU);
                StudentExport.WriteAll(model, name, spec, dir);
            };
        }
        return RunAsync(student, data, recipe, outDir, mode, init, Finishing, events, ct);
    }

    /// <summary>Why the ONNX exporter cannot write <paramref name="student"/> (one line), or null when it can.</summary>
    private static string? ExportProblem(nn.Module<Tensor, Tensor> student, StudentExportSpec spec)
    {
        try
        {
            OnnxExporter.Build(student, new OnnxExportOptions { SampleShape = spec.SampleShape, InputName = spec.InputName, OutputName = spec.OutputName });
            return null;
        }
        catch (DistillException e) { return e.Message; }
    }

    /// <summary>
    /// Builds the recipe's student (seeded), trains it and, with an output directory, exports it there before
    /// summary.json: student.onnx, student.json (its card) and student.safetensors (<see cref="StudentExport"/>).
    /// </summary>
    public static Task<TrainResult> TrainAsync(TrainingData data, Recipe recipe, string? outDir = null, RunMode mode = RunMode.New,
        TrainerEvents? events = null, InitialWeights? init = null, CancellationToken ct = default)
    {
        recipe = TeacherCheck.Verify(recipe, data);   // before building the student; the hash makes the second check cheap
        manual_seed(recipe.Seed);
        var student = StudentRegistry.Create(recipe.Student, data.Train.SampleShape, data.ClassCount, DenseHeads.FromCache(data.Cache.Metadata));
        var spec = StudentExportSpec.FromCache(data.Cache.Metadata);
        return RunAsync(student, data, recipe, outDir, mode, init, () => (model, dir) =>
        {
            model.to(CPU);
            StudentExport.WriteAll(model, recipe.Student, spec, dir);
        }, events, ct);
    }

    private static async Task<TrainResult> RunAsync(nn.Module<Tensor, Tensor> student, TrainingData data, Recipe recipe,
        string? outDir, RunMode mode, InitialWeights? init,
        Func<Action<nn.Module<Tensor, Tensor>, string>?> finishingFor, TrainerEvents? events, CancellationToken ct)
    {
        if (outDir is null && mode != RunMode.New)
            throw new DistillException($"--{(mode == RunMode.Resume ? "resume" : "overwrite")} needs --out");
        recipe = TeacherCheck.Verify(recipe.Validate(), data);   // outputs record the teacher's hash, not a path
        var device = ResolveDevice(recipe.Device);
        var meta = data.Cache.Metadata;
        StudentShapeCheck.Verify(student, data.Train.SampleShape, meta.IsClassifier ? data.ClassCount : null, device);
        var finishing = finishingFor();
        var objective = Objective.Build(RecipeTerms.Of(recipe));
        if (recipe.Batch < objective.MinBatchRows)
            throw new DistillException($"loss '{objective.MinBatchLoss}' needs a batch of at least {objective.MinBatchRows} rows, got --batch {recipe.Batch}");
        if (objective.NeedsLabels && !data.Train.HasLabels && !meta.HasLabels)
            throw new DistillException($"loss '{objective.Terms.First(t => t.Loss.NeedsLabels).Loss.Name}' needs class labels, and {data.Train.Name} {data.Train.Split} has none" +
                (DenseTargetBatches.Provided(data.Train) is { Count: > 0 } dense ? $" (it has {string.Join(" and ", dense)}: seg_ce and det_yolo train on them)" : ""));
        var logits = new CacheLogitSource(data.Cache);
        var heads = DenseHeads.FromCache(meta);
        objective.Bind(objective.StudentShapes(student, data.Train.SampleShape, device), logits.Columns, device,
            DenseTargetBatches.Provided(data.Train), TargetLayout(data.Train, heads));
        if (objective.DatasetTargets.Count > 0 && meta.HasViews)
            throw new DistillException($"the cache holds augmented views ({meta.Augment}), which the dataset's {string.Join(" and ", objective.DatasetTargets)} do not follow: precompute the cache without --views/--augment for seg_ce or det_yolo");
        var split = ValidationSplit.Of(recipe, meta);
        using var run = outDir is null ? null : RunDirectory.Open(outDir, mode);
        var initSource = init?.Source ?? run?.Saved?.InitFrom;
        if (run is not { Saved: not null, HasCheckpoint: true })
        {
            // A resumed run that started from other weights needs them again until it has a checkpoint.
            if (init is null && run?.Saved?.InitFrom is not null) init = InitialWeights.Reopen(run.Saved);
            init?.LoadInto(student, recipe.Student);
        }
        var source = new CachedBatchSource(split?.TrainingRows(logits) ?? logits, data.Train, data.Preprocessing, recipe.Batch,
            recipe.Seed, (long)recipe.MemoryBudgetMb << 20, objective.TeacherColumns);
        await source.PrepareAsync(ct);
        var targets = objective.DatasetTargets.Count > 0 ? new DenseTargetBatches(data.Train, objective.DatasetTargets) : null;
        var eval = await EvaluationAsync(student, data, heads, ct);
        Evaluator? validation = null;
        if (split is { HasValidation: true })
        {
            if (!meta.IsClassifier || !StudentOutputs.OutputsOf(student).Contains("logits"))
                throw new DistillException("--val-fraction scores the held-out samples by top-1 against their labels: it needs a classification cache and a student with 'logits'");
            validation = new Evaluator(split.ValidationData(data.Train), data.Preprocessing, data.ClassCount, await split.TeacherTop1Async(logits, ct));
            events?.Notice?.Invoke($"validation: {split.Validation.Length:N0} of {split.Samples:N0} training samples held out (seed {recipe.Seed}), never trained on");
        }
        if (split is not null && recipe.Limit > 0)
            events?.Notice?.Invoke($"--limit {recipe.Limit}: training on the first {split.Samples - split.Validation.Length:N0} cached samples{(split.HasValidation ? " left after the validation split" : "")}");
        run?.Begin(RunIdentity.Of(recipe, data, student, initSource));   // every input checked: now the directory changes
        var trainer = new Trainer(student, objective, source, eval, recipe, data.Train.SampleShape, device)
        {
            TeacherSha256s = TeacherCheck.TeacherShas(data.Cache.Metadata),
            Finishing = finishing,
            Targets = targets,
            Validation = validation,
        };
        return trainer.Run(run?.Path, mode == RunMode.Resume, events, ct);
    }

    /// <summary>What the dataset's masks and boxes and the student's detection heads (named as the teacher's) look like.</summary>
    private static DenseTargetLayout TargetLayout(IDataset train, DenseHeads? heads)
    {
        var dense = train as IDenseTargets;
        var detection = new Dictionary<string, Metrics.YoloHeadLayout>();
        if (heads is { DetectionOutput: { } name, Detection: { } layout }) detection[name] = layout;
        return new DenseTargetLayout(dense?.Masks?.MaskClassCount, dense?.Boxes?.BoxClassCount, detection);
    }

    /// <summary>
    /// The test split's evaluation: mIoU and mAP (<see cref="DenseEvaluation"/>) when it has masks or boxes and the
    /// student has the teacher's dense outputs, else top-1 (<see cref="Evaluator"/>) when it has labels and the student
    /// logits; null when neither applies.
    /// </summary>
    private static async Task<IEvaluation?> EvaluationAsync(nn.Module<Tensor, Tensor> student, TrainingData data, DenseHeads? heads, CancellationToken ct)
    {
        if (data.Test is null) return null;
        var outputs = StudentOutputs.OutputsOf(student);
        if (heads is not null && data.Test is IDenseTargets && DenseTargetBatches.Provided(data.Test).Count > 0
            && new[] { heads.SegmentationOutput, heads.DetectionOutput }.Any(o => o is not null && outputs.Contains(o)))
        {
            // Only the heads the student has.
            var own = heads with
            {
                SegmentationOutput = outputs.Contains(heads.SegmentationOutput ?? "") ? heads.SegmentationOutput : null,
                DetectionOutput = outputs.Contains(heads.DetectionOutput ?? "") ? heads.DetectionOutput : null,
            };
            return new DenseEvaluation(data.Test, data.Preprocessing, own, data.TestCache is null ? null : new CacheLogitSource(data.TestCache));
        }
        if (!data.Test.HasLabels || !outputs.Contains("logits") || !data.Cache.Metadata.IsClassifier) return null;
        long[]? top1 = data.TestCache is null ? null
            : await Evaluator.TeacherTop1Async(new CacheLogitSource(data.TestCache), data.Test.Count, ct);
        return new Evaluator(data.Test, data.Preprocessing, data.ClassCount, top1);
    }

    public static Device ResolveDevice(string name) => name switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new DistillException("--device cuda: CUDA is not available (the libtorch loaded is CPU-only; a CUDA libtorch must replace the packaged one at run time, see bench/gpu/README.md)"),
        _ => cuda.is_available() ? CUDA : CPU,
    };
}
