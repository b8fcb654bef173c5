using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>ADKD's parameters (seed 002): β scales the logit gaps (default 8, as the recipe default always was), offset 8 (hard-coded in the seed).</summary>
public sealed record AdkdParameters : LossParameters
{
    public double Beta { get; init; } = 8.0;
    public double Offset { get; init; } = 8.0;

    public override void Validate(string loss)
    {
        Require(Beta != 0 && double.IsFinite(Beta), loss, "beta", "must be a finite non-zero number", Beta);
        Require(double.IsFinite(Offset), loss, "offset", "must be a finite number", Offset);
    }
}

/// <summary>
/// Seed 002's klloss_v2 ("adkd"), a KL weighted per class by the teacher's logit gap to the true class:
/// (1/B) Σ_i Σ_c [(t_i,y − t_i,c)/β + offset] · p_t,i,c · (log p_t,i,c − log p_s,i,c), p = softmax at T = 1, with the
/// teacher's logits as both the gap source and the target (as the golden cases do). Needs dense teacher logits: the
/// gaps of a top-K cache's reconstructed tail are not the teacher's.
/// </summary>
public sealed class AdkdLoss(AdkdParameters parameters) : DistillationLoss
{
    public override string Name => "adkd";
    public override LossParameters Parameters => parameters;
    public override bool NeedsLabels => true;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        var s = batch.Student;
        Tensor weight, logTeacher;
        using (no_grad())
        {
            var zt = batch.RequireTeacher(Name).Logits.to(s.dtype);
            logTeacher = nn.functional.log_softmax(zt, 1);
            weight = (zt.gather(1, batch.Labels!.view(-1, 1)) - zt) / parameters.Beta + parameters.Offset;
        }
        var kl = nn.functional.kl_div(nn.functional.log_softmax(s, 1), logTeacher, reduction: nn.Reduction.None, log_target: true);
        return (weight * kl).sum() / s.shape[0];
    }
}
