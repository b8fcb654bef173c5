using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>seg_kl's parameters: temperature T (default 4).</summary>
public sealed record SegKlParameters : LossParameters
{
    public double Temperature { get; init; } = 4.0;
    public override void Validate(string loss) => PositiveTemperature(loss, Temperature);
}

/// <summary>
/// Seed 003's segmentation logit distillation for dense outputs [N, C, H, W]: KLDivLoss(reduction='mean') between
/// log_softmax(s/T) and softmax(t/T) over C, times T². Note 'mean' averages over all N·C·H·W elements, as the seed
/// does (not per pixel). Needs a dense [C, H, W] teacher column of the student output's shape.
/// </summary>
public sealed class SegKlLoss(SegKlParameters parameters) : DistillationLoss
{
    public override string Name => "seg_kl";
    public override LossParameters Parameters => parameters;

    public override string? ShapeProblem(long[] student, long[] teacher) =>
        student.Length == 3 && student.SequenceEqual(teacher) ? null : "it takes segmentation maps [C, H, W] of one shape on both sides";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student;
        double t = parameters.Temperature;
        Tensor logTeacher;
        using (no_grad()) logTeacher = nn.functional.log_softmax(batch.RequireTeacher(Name).Logits.to(s.dtype) / t, 1);
        var kl = nn.functional.kl_div(nn.functional.log_softmax(s / t, 1), logTeacher, reduction: nn.Reduction.Sum, log_target: true);
        return kl * (t * t / s.numel());
    }
}
