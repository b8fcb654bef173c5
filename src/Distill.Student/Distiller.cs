using Distill.Data;
using Distill.Student.Export;
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
/// </summary>
public static class Distiller
{
    public static async Task<TrainResult> TrainAsync(nn.Module<Tensor, Tensor> student, TrainingData data, Recipe recipe,
        string? outDir = null, bool resume = false, ITrainingObjective? objective = null, TrainerEvents? events = null,
        CancellationToken ct = default)
    {
        recipe = TeacherCheck.Verify(recipe.Validate(), data);   // outputs record the teacher's hash, not a path
        var device = ResolveDevice(recipe.Device);
        StudentShapeCheck.Verify(student, data.Train.SampleShape, data.ClassCount, device);
        objective ??= new RecipeObjective(recipe);
        var source = new CachedBatchSource(new CacheLogitSource(data.Cache), data.Train, data.Preprocessing, recipe.Batch,
            recipe.Seed, (long)recipe.MemoryBudgetMb << 20);
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
        var result = await TrainAsync(student, data, recipe, outDir, resume, null, events, ct);
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
        "cuda" => cuda.is_available() ? CUDA : throw new DistillException("--device cuda: CUDA is not available (the libtorch loaded is CPU-only; a CUDA libtorch must replace the packaged one at run time, see bench/gpu/README.md)"),
        _ => cuda.is_available() ? CUDA : CPU,
    };
}
