using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>Log-space building blocks shared by the losses (no log(softmax) anywhere).</summary>
internal static class LogSpace
{
    /// <summary>
    /// Σ over all elements of p_t · (log p_t − log p_s) from log-probabilities, i.e. KL(p_t ‖ p_s) summed over rows.
    /// Uses kl_div with log targets, which is exp(lt)·(lt − ls) elementwise: finite whenever both are finite.
    /// </summary>
    public static Tensor KlSum(Tensor logStudent, Tensor logTeacher) =>
        nn.functional.kl_div(logStudent, logTeacher, reduction: nn.Reduction.Sum, log_target: true);

    /// <summary>Boolean [B, C] mask of each row's label.</summary>
    public static Tensor LabelMask(Tensor labels, long classes, Device device) =>
        zeros(labels.shape[0], classes, ScalarType.Bool, device).scatter_(1, labels.view(-1, 1),
            ones(labels.shape[0], 1, ScalarType.Bool, device));

    public static void RequireLabels(LossBatch batch, string loss)
    {
        if (batch.Labels is null) throw new Distill.Data.DistillException($"loss '{loss}' needs labels, but the data has none");
    }
}
