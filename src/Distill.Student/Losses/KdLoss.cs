using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// KD's parameters: temperature T (Hinton et al. use T = 4 in our reference table) and <c>standardize</c>
/// (<see cref="LogitStandardization"/>, Sun et al. 2024: z-score both sides, then divide by T; T keeps its default
/// unless told — the authors pair it with their own base temperature per dataset).
/// </summary>
public sealed record KdParameters : LossParameters
{
    public double Temperature { get; init; } = 4.0;
    public bool Standardize { get; init; }

    public override void Validate(string loss) => PositiveTemperature(loss, Temperature);
}

/// <summary>
/// Hinton et al. 2015, "Distilling the Knowledge in a Neural Network": T² · (1/B) Σ_i KL(softmax(t_i/T) ‖ softmax(s_i/T)),
/// i.e. PyTorch's kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean') · T² (seeds 001, 004; seed 001's KLDiv
/// module — sum over classes, mean over the batch — is the same value). Both sides are log-softmax (z − logsumexp z), so
/// the loss stays finite for any finite logits. Gradient in closed form: ∂L/∂s = (T/B) · (softmax(s/T) − softmax(t/T)).
/// On a top-K column it reads the reader's dense reconstruction (approximate, <see cref="Terms.CacheSupport"/>).
/// </summary>
public sealed class KdLoss(KdParameters parameters, string name = "kd") : DistillationLoss
{
    public override string Name => name;
    public override LossParameters Parameters => parameters;
    public override TeacherUse TeacherUse => TeacherUse.Distribution | (parameters.Standardize ? TeacherUse.Moments : TeacherUse.None);

    public override Tensor Forward(LossBatch batch)
    {
        using var scope = NewDisposeScope();
        double t = parameters.Temperature;
        var s = batch.Student;
        var targets = batch.RequireTeacher(Name);
        var teacher = targets.Logits;
        if (parameters.Standardize) (s, teacher) = (LogitStandardization.Apply(s), targets.Standardized(s.dtype));
        long b = s.shape[0];
        Tensor value, grad;
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
