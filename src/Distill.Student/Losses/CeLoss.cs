using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>CE's parameters: label smoothing ε in [0, 1) (Szegedy et al. 2016), default 0.</summary>
public sealed record CeParameters : LossParameters
{
    public double LabelSmoothing { get; init; }

    public override void Validate(string loss) =>
        Require(LabelSmoothing is >= 0 and < 1, loss, "label_smoothing", "must be in [0, 1)", LabelSmoothing);
}

/// <summary>Cross-entropy on the true labels, mean over the batch, with optional label smoothing (Szegedy et al. 2016).</summary>
public sealed class CeLoss(CeParameters parameters) : DistillationLoss
{
    public override string Name => "ce";
    public override LossParameters Parameters => parameters;
    public override bool NeedsLabels => true;
    public override bool NeedsTeacher => false;
    public override string? ShapeProblem(long[] student, long[] teacher) => null;   // no teacher column

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        return nn.functional.cross_entropy(batch.Student, batch.Labels!, label_smoothing: parameters.LabelSmoothing);
    }
}
