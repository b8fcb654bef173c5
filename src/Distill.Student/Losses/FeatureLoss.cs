using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Base of the feature (hint) losses: a student tap (after its adapter) against a teacher feature column of the same
/// per-sample shape, any rank. The teacher side is a constant; the gradient flows into the student through autograd.
/// </summary>
public abstract class FeatureLoss : DistillationLoss
{
    public override string? ShapeProblem(long[] student, long[] teacher) =>
        student.SequenceEqual(teacher) ? null : "it compares features of one shape (give the term an adapter: linear for [D], conv for [C, H, W])";

    /// <summary>The teacher column as [B, ...] in the student's dtype.</summary>
    protected Tensor TeacherFeatures(LossBatch batch) =>
        batch.RequireTeacher(Name).Logits.to(batch.Student.dtype).view(batch.Student.shape);
}
