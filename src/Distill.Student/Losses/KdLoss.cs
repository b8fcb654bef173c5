using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Hinton et al. 2015, "Distilling the Knowledge in a Neural Network": T² · (1/B) Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T)),
/// i.e. PyTorch's kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') · T² (seeds 001, 004; seed 001's KLDiv
/// module — sum over classes, mean over the batch — is the same value). Both sides are log-softmax (z − logsumexp z), so
/// the loss stays finite for any finite logits. Gradient in closed form: ∂L/∂s = (T/B) · (softmax(s/T) − softmax(t/T)).
/// Accepts top-K teachers (<see cref="TeacherTargets.DenseLogits"/>). Uses <see cref="LossOptions.Temperature"/>.
/// </summary>
public sealed class KdLoss(LossOptions options) : DistillationLoss(options)
{
    public override string Name => "kd";

    public override Tensor Forward(LossBatch batch)
    {
        using var scope = NewDisposeScope();
        double t = Options.Temperature;
        var s = batch.StudentLogits;
        long b = s.shape[0];
        Tensor value, grad;
        var teacher = batch.Teacher.DenseLogits();
        if (CpuLossKernels.Applies(s, teacher, LogSpace.SmallTensor))
        {
            (value, grad) = CpuLossKernels.Kd(s, teacher, t);
            return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
        }
        using (no_grad())
        {
            // Large batches (the small ones took the fused CPU kernel above): separate fused log_softmax calls, no
            // stacking copy; in-place where the input is not needed again.
            var logStudent = nn.functional.log_softmax(s.detach() * (1.0 / t), 1);
            var logTeacher = nn.functional.log_softmax(teacher.to(s.dtype) * (1.0 / t), 1);
            var pTeacher = logTeacher.exp();
            value = pTeacher.reshape(-1).dot((logTeacher - logStudent).reshape(-1)).mul_(t * t / b);
            grad = logStudent.exp_().sub_(pTeacher).mul_(t / b);
        }
        return LogSpace.WithGradient(value, s, grad).MoveToOuterDisposeScope();
    }
}
