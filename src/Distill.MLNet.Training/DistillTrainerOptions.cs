using Distill.MLNet.Data;
using Distill.Student.Training;

namespace Distill.MLNet.Training;

/// <summary>
/// What <c>mlContext.MulticlassClassification.Trainers.Distill</c> needs: the teacher's cache, the columns, and the
/// train-student recipe (student, loss, epochs, batch, optimizer, schedule, seed, ...: the same record as a recipe
/// JSON file, so one recipe gives the same run from the command line and from ML.NET).
/// </summary>
public sealed class DistillTrainerOptions
{
    /// <summary>The train split's logits cache (precompute-logits or PrecomputeTeacherLogits), made from the data Fit gets.</summary>
    public required string CacheDirectory { get; set; }
    /// <summary>Every training setting; e.g. <c>new Recipe { Student = "mlp-256-256", Loss = "kd", Epochs = 10 }</c> or <c>Recipe.Load(file)</c>.</summary>
    public Recipe Recipe { get; set; } = new();
    /// <summary>The samples: raw values (before preprocessing), a fixed-size Single or Byte vector.</summary>
    public string FeatureColumnName { get; set; } = DatasetDataView.FeaturesColumn;
    /// <summary>The labels (a key or a whole number); part of the data's fingerprint. Null for data without labels.</summary>
    public string? LabelColumnName { get; set; } = DatasetDataView.LabelColumn;
    public string ScoreColumnName { get; set; } = "Score";
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";
    /// <summary>
    /// Where the run's outputs go, as train-student --out writes them (metrics.jsonl, summary.json, checkpoints,
    /// student.onnx/.json/.safetensors); null: a temporary directory, removed after Fit.
    /// </summary>
    public string? OutputDirectory { get; set; }
    /// <summary>TorchSharp's CPU threads for this process (null: TorchSharp's default, all cores).</summary>
    public int? Threads { get; set; }
}
