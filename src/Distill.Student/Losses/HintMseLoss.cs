using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// FitNets' hint loss (Romero et al., ICLR 2015, "FitNets: Hints for Thin Deep Nets"): the mean squared error between
/// the student's (adapted) hidden features and the teacher's, averaged over every element (PyTorch's
/// mse_loss(reduction='mean'), as mdistiller's FitNet).
/// </summary>
public sealed class HintMseLoss : FeatureLoss
{
    public override string Name => "hint_mse";
    public override LossParameters Parameters { get; } = new NoParameters();

    public override Tensor Forward(LossBatch batch) => nn.functional.mse_loss(batch.Student, TeacherFeatures(batch));
}
