using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// What the teacher contributes to a batch: either its dense logits [B, C], or the top-K form of a compressed cache
/// (indices [B, K] int64, logits [B, K], and the log-sum-exp of the full logit vector [B], so the stored classes'
/// probabilities stay exact). Losses that accept only the dense form call <see cref="Dense"/>.
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

    public static TeacherTargets FromLogits(Tensor logits) => new(logits, null, null, null, (int)logits.shape[1]);

    public static TeacherTargets FromTopK(Tensor indices, Tensor logits, Tensor logSumExp, int classCount) =>
        new(null, indices, logits, logSumExp, classCount);

    public bool IsTopK => Logits is null;

    public Tensor Dense(string lossName) =>
        Logits ?? throw new NotSupportedException($"loss '{lossName}' needs dense teacher logits, the cache holds top-K");
}
