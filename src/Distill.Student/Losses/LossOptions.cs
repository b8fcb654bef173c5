using Distill.Data;

namespace Distill.Student.Losses;

/// <summary>
/// Hyper-parameters a loss may read. Each loss documents which ones it uses; defaults follow the papers and
/// ../shared/reference/fmnist-students.json (KD T=4; DKD α=1, β=8, T=4; DIST β=2, γ=2, τ=4).
/// </summary>
public sealed record LossOptions
{
    public double Temperature { get; init; } = 4.0;
    public double Alpha { get; init; } = 1.0;
    public double Beta { get; init; } = 8.0;
    public double Gamma { get; init; } = 2.0;
    /// <summary>Warmup epochs for losses that ramp in (DKD: factor min(epoch / warmup, 1)); 0 = none.</summary>
    public int Warmup { get; init; }
    public double LabelSmoothing { get; init; }
    /// <summary>ADKD's offset added to the scaled logit gaps (seed 002 hard-codes 8).</summary>
    public double AdkdOffset { get; init; } = 8.0;

    /// <summary>Rejects values no loss can use, with the flag's name.</summary>
    public LossOptions Validated()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new DistillException($"--temperature must be positive, got {Temperature}");
        if (Warmup < 0) throw new DistillException($"--warmup must be 0 or positive, got {Warmup}");
        if (LabelSmoothing is < 0 or >= 1) throw new DistillException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
        return this;
    }
}
