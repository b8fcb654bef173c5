using Microsoft.ML;

namespace Distill.MLNet.Training;

/// <summary><c>mlContext.MulticlassClassification.Trainers.Distill(...)</c>.</summary>
public static class DistillTrainerCatalog
{
    /// <summary>Distills the teacher's cached logits into the recipe's student; see <see cref="DistillTrainer"/>.</summary>
    public static DistillTrainer Distill(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, DistillTrainerOptions options) =>
        new(MLNetInternals.EnvironmentOf(catalog), options);
}
