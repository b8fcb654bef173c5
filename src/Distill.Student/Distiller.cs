using Distill.Data;
using Distill.Student.Export;
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
/// when it fails or its output is not [1, C] (<see cref="StudentShapeCheck"/>). The recipe's Student field is ignored.
/// With <see cref="Recipe.Teacher"/> set, caches made by another teacher are refused (<see cref="TeacherCheck"/>).
/// The objective is the recipe's terms (<see cref="Recipe.Terms"/> or the shorthand); a term's student output is
/// "logits" or a tap: a built-in's named tap, your <see cref="Students.ITappedStudent"/>'s, or a submodule name of your
/// module (a forward hook records its output). Losses of your own go into <see cref="Losses.LossRegistry.Register{TParams}"/>.
/// </summary>
public static class Distiller
{
    public static async Task<TrainResult> TrainAsync(nn.Module<Tensor, Tensor> student, TrainingData data, Recipe recipe,
        string? outDir = null, bool resume = false, TrainerEvents? events = null, CancellationToken ct = default)
    {
        recipe = TeacherCheck.Verify(recipe.Validate(), data);   // outputs record the teacher's hash, not a path
        var device = ResolveDevice(recipe.Device);
        StudentShapeCheck.Verify(student, data.Train.SampleShape, data.ClassCount, device);
        var objective = Objective.Build(RecipeTerms.Of(recipe));
        if (recipe.Batch < objective.MinBatchRows)
            throw new DistillException($"loss '{objective.MinBatchLoss}' needs a batch of at least {objective.MinBatchRows} rows, got --batch {recipe.Batch}");
        var logits = new CacheLogitSource(data.Cache);
        objective.Bind(objective.StudentShapes(student, data.Train.SampleShape, device), logits.Columns, device);
        var source = new CachedBatchSource(logits, data.Train, data.Preprocessing, recipe.Batch,
            recipe.Seed, (long)recipe.MemoryBudgetMb << 20, objective.TeacherColumns);
        await source.PrepareAsync(ct);
        Evaluator? eval = null;
        if (data.Test is not null)
        {
            long[]? top1 = data.TestCache is null ? null
                : await Evaluator.TeacherTop1Async(new CacheLogitSource(data.TestCache), data.Test.Count, ct);
            eval = new Evaluator(data.Test, data.Preprocessing, data.ClassCount, top1);
        }
        var trainer = new Trainer(student, objective, source, eval, recipe, data.Train.SampleShape, device)
        {
            TeacherSha256s = TeacherCheck.TeacherShas(data.Cache.Metadata),
        };
        return trainer.Run(outDir, resume, events, ct);
    }

    /// <summary>
    /// Builds the recipe's student (seeded), trains it and, with an output directory, exports it there:
    /// student.onnx, student.json (its card) and student.safetensors (<see cref="StudentExport"/>).
    /// </summary>
    public static async Task<TrainResult> TrainAsync(TrainingData data, Recipe recipe, string? outDir = null, bool resume = false,
        TrainerEvents? events = null, CancellationToken ct = default)
    {
        recipe = TeacherCheck.Verify(recipe, data);   // before building the student; the hash makes the second check cheap
        manual_seed(recipe.Seed);
        var student = StudentRegistry.Create(recipe.Student, data.Train.SampleShape, data.ClassCount);
        var result = await TrainAsync(student, data, recipe, outDir, resume, events, ct);
        if (outDir is not null)
        {
            student.to(CPU);
            StudentExport.WriteAll(student, recipe.Student, StudentExportSpec.FromCache(data.Cache.Metadata), outDir);
        }
        return result;
    }

    public static Device ResolveDevice(string name) => name switch
    {
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new DistillException("--device cuda: CUDA is not available (this build uses the CPU libtorch; build with -p:UseCuda=true)"),
        _ => cuda.is_available() ? CUDA : CPU,
    };
}
