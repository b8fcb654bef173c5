using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>det_mse's parameters: temperature T, a plain multiplier in seed 003 (default 4).</summary>
public sealed record DetMseParameters : LossParameters
{
    public double Temperature { get; init; } = 4.0;
    public override void Validate(string loss) => PositiveTemperature(loss, Temperature);
}

/// <summary>
/// Seed 003's detection logit distillation for heads [N, A, 5 + K] (box 0..3, objectness 4, classes 5..):
/// (MSE(objectness) + MSE(box) + MSE(classes)) · T, each MSE averaged over its own elements.
/// </summary>
public sealed class DetMseLoss(DetMseParameters parameters) : DistillationLoss
{
    public override string Name => "det_mse";
    public override LossParameters Parameters => parameters;

    public override string? ShapeProblem(long[] student, long[] teacher) =>
        student.Length == 2 && student[1] >= 6 && student.SequenceEqual(teacher) ? null
            : "it takes detection heads [A, 5 + K] (K ≥ 1) of one shape on both sides";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student;
        var t = batch.RequireTeacher(Name).Logits.to(s.dtype);
        long last = s.shape[^1];
        if (last < 6) throw new Distill.Data.DistillException($"loss 'det_mse' needs [N, A, 5 + K] outputs with K ≥ 1, got last dimension {last}");
        var obj = nn.functional.mse_loss(s.narrow(-1, 4, 1), t.narrow(-1, 4, 1));
        var box = nn.functional.mse_loss(s.narrow(-1, 0, 4), t.narrow(-1, 0, 4));
        var cls = nn.functional.mse_loss(s.narrow(-1, 5, last - 5), t.narrow(-1, 5, last - 5));
        return (obj + box + cls) * parameters.Temperature;
    }
}
