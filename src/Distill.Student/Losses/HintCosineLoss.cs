using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Cosine feature distillation: mean over samples of 1 − cos(s_i, t_i), each sample's features flattened, with PyTorch's
/// cosine_similarity (eps 1e-8). Insensitive to the features' scale, unlike FitNets' MSE (Romero et al. 2015).
/// </summary>
public sealed class HintCosineLoss : FeatureLoss
{
    public override string Name => "hint_cosine";
    public override LossParameters Parameters { get; } = new NoParameters();

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student.flatten(1);
        var t = TeacherFeatures(batch).flatten(1);
        return (1.0 - nn.functional.cosine_similarity(s, t, 1, 1e-8)).mean();
    }
}
