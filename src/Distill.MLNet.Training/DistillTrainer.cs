using Distill.Data;
using Distill.MLNet.Cache;
using Distill.MLNet.Data;
using Distill.MLNet.Scoring;
using Distill.Student;
using Distill.Student.Export;
using Distill.Student.Output;
using Distill.Student.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace Distill.MLNet.Training;

/// <summary>
/// Knowledge distillation as an ML.NET trainer (the shape of Microsoft.ML.TorchSharp's ImageClassificationTrainer):
/// <see cref="Fit"/> trains the recipe's student on the teacher's cached logits joined with the feature column,
/// through the same code as train-student (<see cref="Distiller.TrainAsync(TrainingData, Recipe, string?, RunMode, TrainerEvents?, InitialWeights?, CancellationToken)"/>,
/// so one recipe and seed give the same weights), reports each epoch to the MLContext's log, and returns the student as
/// a <see cref="DistilledStudentTransformer"/> (ONNX Runtime: Score and PredictedLabel).
/// </summary>
public sealed class DistillTrainer : IEstimator<DistilledStudentTransformer>
{
    private readonly IHost _host;
    private readonly DistillTrainerOptions _options;

    internal DistillTrainer(IHostEnvironment env, DistillTrainerOptions options)
    {
        _host = env.Register(nameof(DistillTrainer));
        _options = options;
    }

    public DistilledStudentTransformer Fit(IDataView input)
    {
        var o = _options;
        var recipe = o.Recipe.Validate();   // an unknown loss or a bad weight fails here, before any data is read
        if (o.Threads is int threads) torch.set_num_threads(ThreadLimit.Check(threads, "Threads"));
        var cache = LogitCacheDataView.Load(o.CacheDirectory).Metadata;
        using var ch = _host.Start("Distill");
        ch.Info($"reading column '{o.FeatureColumnName}' for cache {o.CacheDirectory} ({cache.DatasetName} {cache.Split}, teacher {cache.TeacherFile})");
        var (train, owned) = DatasetOf.Resolve(input, o.FeatureColumnName, o.LabelColumnName, cache.Split, cache.SampleShape, keepSamples: true);
        using (owned)
        using (var run = RunDirectory.Open(o.OutputDirectory))
        {
            var data = TrainingData.OpenWith(o.CacheDirectory, train);
            try
            {
                ch.Info($"{recipe.Student} student, objective {string.Join(" + ", Distill.Student.Terms.RecipeTerms.Of(recipe).Select(t => $"{t.Weight:g3}·{t.Loss}"))}, {recipe.Epochs} epochs of {data.Cache.RowCount:N0} rows, batch {recipe.Batch}, seed {recipe.Seed}");
                var events = new TrainerEvents
                {
                    EpochDone = m => ch.Info(FormattableString.Invariant(
                        $"epoch {m.Epoch}/{recipe.Epochs}: {string.Join(", ", m.Losses.Select(kv => $"{kv.Key} {kv.Value:F4}"))}, lr {m.Lr:g3}, {m.Seconds:F1} s")),
                };
                Distiller.TrainAsync(data, recipe, run.Path, RunMode.New, events).GetAwaiter().GetResult();
            }
            finally { data.Cache.Dispose(); }   // the train split is ours (owned) or the caller's DatasetDataView's
            var studentOnnx = File.ReadAllBytes(System.IO.Path.Combine(run.Path, StudentExport.OnnxFile));
            var scoring = ScoringGraph.Build(studentOnnx, cache.Preprocessing, cache.SampleShape, cache.ClassCount, o.FeatureColumnName);
            var model = new DistilledStudent(scoring, ClassNames(cache, input, o.LabelColumnName), recipe.Student);
            ch.Info($"student exported to ONNX ({studentOnnx.Length:N0} bytes){(o.OutputDirectory is null ? "" : $" in {o.OutputDirectory}")}");
            return new DistilledStudentTransformer(model, input, o.FeatureColumnName, o.ScoreColumnName, o.PredictedLabelColumnName);
        }
    }

    /// <summary>The teacher card's class names recorded in the cache, else the label column's key names, else "0".."C-1".</summary>
    private static string[] ClassNames(Distill.Cache.CacheMetadata cache, IDataView input, string? labelColumn)
    {
        if (cache.ClassNames is { } names) return names.ToArray();
        if (labelColumn is not null && input.Schema.GetColumnOrNull(labelColumn) is { } label
            && Views.SchemaAnnotations.KeyNames(label) is { } keys && keys.Length == cache.ClassCount)
            return keys;
        return Enumerable.Range(0, cache.ClassCount).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        var features = inputSchema.LastOrDefault(c => c.Name == o.FeatureColumnName);
        if (features.Name is null) throw new DistillException($"the data has no feature column '{o.FeatureColumnName}'");
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single && features.ItemType != NumberDataViewType.Byte)
            throw new DistillException($"feature column '{o.FeatureColumnName}' must be a fixed-size vector of Single or Byte");
        return MLNetInternals.With(inputSchema,
            MLNetInternals.Column(o.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false),
            MLNetInternals.Column(o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true,
                MLNetInternals.KeyValuesAnnotation()));
    }
}
