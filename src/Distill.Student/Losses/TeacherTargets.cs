using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// What the teacher contributes to a batch: its logits [B, ...] as the cache reader hands them out (a top-K column
/// already reconstructed to dense by the cache's codec, Distill.Cache.TopKCodec.Reconstruct) and, when a top-K column
/// keeps them, each row's exact mean and standard deviation over all classes [B, 2] (so logit standardization is exact).
/// </summary>
public sealed class TeacherTargets
{
    public Tensor Logits { get; }
    /// <summary>[B, 2]: mean and unbiased std of each row's full logits, stored by the cache; null when <see cref="Logits"/> is complete.</summary>
    public Tensor? Moments { get; }

    private TeacherTargets(Tensor logits, Tensor? moments) => (Logits, Moments) = (logits, moments);

    public static TeacherTargets FromLogits(Tensor logits, Tensor? moments = null) => new(logits, moments);

    /// <summary>
    /// The teacher's logits z-scored per row (Sun et al., CVPR 2024; <see cref="LogitStandardization"/>), in
    /// <paramref name="dtype"/>: with stored moments, (z − mean) / (1e-7 + std) from the cache's exact mean/std over all C
    /// logits (a top-K row's reconstructed tail would bias them), else from the logits themselves.
    /// </summary>
    public Tensor Standardized(ScalarType dtype)
    {
        var z = Logits.to(dtype);
        if (Moments is null) return LogitStandardization.Apply(z);
        var m = Moments.to(dtype);
        return (z - m.narrow(1, 0, 1)) / (m.narrow(1, 1, 1) + 1e-7);
    }
}
