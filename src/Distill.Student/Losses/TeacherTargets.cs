using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// What the teacher contributes to a batch: its dense logits [B, C], or the top-K form of a compressed cache
/// (indices [B, K] int64, logits [B, K], and the log-sum-exp of the full logit vector [B]).
/// </summary>
public sealed class TeacherTargets
{
    public Tensor? Logits { get; }
    public Tensor? TopKIndices { get; }
    public Tensor? TopKLogits { get; }
    public Tensor? LogSumExp { get; }
    public int ClassCount { get; }

    private TeacherTargets(Tensor? logits, Tensor? idx, Tensor? vals, Tensor? lse, int classCount)
    {
        Logits = logits; TopKIndices = idx; TopKLogits = vals; LogSumExp = lse; ClassCount = classCount;
    }

    public static TeacherTargets FromLogits(Tensor logits) => new(logits, null, null, null, (int)logits.shape[^1]);

    public static TeacherTargets FromTopK(Tensor indices, Tensor logits, Tensor logSumExp, int classCount) =>
        new(null, indices, logits, logSumExp, classCount);

    public bool IsTopK => Logits is null;

    /// <summary>Dense logits, for losses that have no top-K form (ADKD, dense-output losses).</summary>
    public Tensor Dense(string lossName) =>
        Logits ?? throw new Distill.Data.DistillException($"loss '{lossName}' needs dense teacher logits, but the cache holds top-K");

    /// <summary>
    /// Dense logits, reconstructed for a top-K cache so that at temperature 1 every stored class keeps its exact
    /// probability exp(z_c − lse) and the remaining mass 1 − Σ_top p is spread evenly over the C − K other classes
    /// (the FKD / ReLabel convention): those classes get lse + log(tail / (C − K)). With K = C this is the original
    /// logit vector, so every loss equals its dense value. Temperatures then act on this vector as on real logits.
    /// </summary>
    public Tensor DenseLogits()
    {
        if (Logits is not null) return Logits;
        var idx = TopKIndices!; var vals = TopKLogits!; var lse = LogSumExp!.to(vals.dtype);
        long b = vals.shape[0], k = vals.shape[1];
        using var kept = (vals - lse.unsqueeze(1)).exp().sum(1);
        // Floor the tail so classes that carry (numerically) no mass stay finite.
        using var tail = (1 - kept).clamp_min(1e-30);
        using var rest = lse + (tail / Math.Max(1, ClassCount - k)).log();
        return rest.unsqueeze(1).expand(b, ClassCount).contiguous().scatter(1, idx, vals);
    }
}
