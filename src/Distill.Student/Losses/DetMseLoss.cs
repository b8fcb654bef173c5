using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Seed 003's detection logit distillation for heads [N, A, 5 + K] (box 0..3, objectness 4, classes 5..):
/// (MSE(objectness) + MSE(box) + MSE(classes)) · T, each MSE averaged over its own elements. Uses Temperature.
/// </summary>
public sealed class DetMseLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "det_mse";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.StudentLogits;
        var t = batch.Teacher.Dense(Name).to(s.dtype);
        long last = s.shape[^1];
        if (last < 6) throw new Distill.Data.DistillException($"loss 'det_mse' needs [N, A, 5 + K] outputs with K ≥ 1, got last dimension {last}");
        var obj = nn.functional.mse_loss(s.narrow(-1, 4, 1), t.narrow(-1, 4, 1));
        var box = nn.functional.mse_loss(s.narrow(-1, 0, 4), t.narrow(-1, 0, 4));
        var cls = nn.functional.mse_loss(s.narrow(-1, 5, last - 5), t.narrow(-1, 5, last - 5));
        return (obj + box + cls) * Options.Temperature;
    }
}
