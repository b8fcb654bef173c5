using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>hint_smooth_l1's parameters: β, where the loss turns from quadratic to linear (PyTorch's default 1).</summary>
public sealed record HintSmoothL1Parameters : LossParameters
{
    public double Beta { get; init; } = 1.0;
    public override void Validate(string loss) => Require(Beta > 0 && double.IsFinite(Beta), loss, "beta", "must be a positive number", Beta);
}

/// <summary>
/// FitNets' hint (Romero et al. 2015) with the smooth L1 (Huber-type) distance of Fast R-CNN (Girshick, ICCV 2015) instead
/// of MSE: PyTorch's smooth_l1_loss(s, t, beta) averaged over every element; less pulled by outlying feature values.
/// </summary>
public sealed class HintSmoothL1Loss(HintSmoothL1Parameters parameters) : FeatureLoss
{
    public override string Name => "hint_smooth_l1";
    public override LossParameters Parameters => parameters;

    public override Tensor Forward(LossBatch batch) =>
        nn.functional.smooth_l1_loss(batch.Student, TeacherFeatures(batch), beta: parameters.Beta);
}
