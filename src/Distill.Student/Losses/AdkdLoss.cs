using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Seed 002's klloss_v2 ("adkd"), a KL weighted per class by the teacher's logit gap to the true class:
/// (1/B) Σ_i Σ_c [(t_i,y − t_i,c)/β + offset] · p_t,i,c · (log p_t,i,c − log p_s,i,c), p = softmax at T = 1, with the
/// teacher's logits as both the gap source and the target (as the golden cases do). offset = 8 in the seed
/// (<see cref="LossOptions.AdkdOffset"/>). Uses Beta, AdkdOffset.
/// </summary>
public sealed class AdkdLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "adkd";
    public override bool NeedsLabels => true;

    public override Tensor Forward(LossBatch batch)
    {
        LogSpace.RequireLabels(batch, Name);
        var s = batch.StudentLogits;
        Tensor weight, logTeacher;
        using (no_grad())
        {
            var zt = batch.Teacher.Dense(Name).to(s.dtype);
            logTeacher = nn.functional.log_softmax(zt, 1);
            weight = (zt.gather(1, batch.Labels!.view(-1, 1)) - zt) / Options.Beta + Options.AdkdOffset;
        }
        var kl = nn.functional.kl_div(nn.functional.log_softmax(s, 1), logTeacher, reduction: nn.Reduction.None, log_target: true);
        return (weight * kl).sum() / s.shape[0];
    }
}
