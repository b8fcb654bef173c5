using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Hinton et al. 2015, "Distilling the Knowledge in a Neural Network": T² · (1/B) Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T)),
/// i.e. PyTorch's kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') · T² (seeds 001, 004; seed 001's KLDiv
/// module — sum over classes, mean over the batch — is the same value). Both sides are log_softmax, so the loss stays
/// finite for any finite logits. Uses <see cref="LossOptions.Temperature"/>.
/// </summary>
public sealed class KdLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "kd";

    public override Tensor Forward(LossBatch batch)
    {
        double t = Options.Temperature;
        var s = batch.StudentLogits;
        Tensor logTeacher;
        using (no_grad()) logTeacher = nn.functional.log_softmax(batch.Teacher.DenseLogits().to(s.dtype) / t, 1);
        var logStudent = nn.functional.log_softmax(s / t, 1);
        return LogSpace.KlSum(logStudent, logTeacher) * (t * t / s.shape[0]);
    }
}
