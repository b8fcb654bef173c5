using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Logit standardization (Sun et al., CVPR 2024, "Logit Standardization in Knowledge Distillation"): each sample's
/// logits z-scored, (z − mean(z)) / (1e-7 + std(z)) with the unbiased std over classes, before the temperature — the
/// authors' <c>normalize</c> in their code. Applied to teacher and student alike; the student's gradient flows through it.
/// </summary>
public static class LogitStandardization
{
    public static Tensor Apply(Tensor z)
    {
        var mean = z.mean(new long[] { 1 }, keepdim: true);
        var std = z.std(1, unbiased: true, keepdim: true);
        return (z - mean) / (std + 1e-7);
    }
}
