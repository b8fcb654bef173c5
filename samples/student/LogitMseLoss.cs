using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Samples.Student;

/// <summary>The loss's parameters: a scale on the squared error (the paper has none: 1).</summary>
internal sealed record LogitMseParameters : LossParameters
{
    public double Scale { get; init; } = 1.0;

    public override void Validate(string loss)
    {
        if (!(Scale > 0)) throw new Distill.Data.DistillException($"loss '{loss}': scale must be > 0, got {Scale}");
    }
}

/// <summary>
/// Ba &amp; Caruana 2014, "Do Deep Nets Really Need to be Deep?": regress the teacher's logits, mean over the batch of
/// the squared error summed over classes (here with a scale). A loss of our own, registered by name.
/// </summary>
internal sealed class LogitMseLoss(LogitMseParameters parameters) : DistillationLoss
{
    public override string Name => "logit_mse";
    public override LossParameters Parameters => parameters;

    public override Tensor Forward(LossBatch batch)
    {
        var teacher = batch.RequireTeacher(Name).Logits.to(batch.Student.dtype);   // every value of the row (TeacherUse.Values): a top-K cache is refused
        return (batch.Student - teacher).square().sum(1).mean() * parameters.Scale;
    }
}
