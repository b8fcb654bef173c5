using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>AT's parameters: the power p of the attention map Σ_c |a_c|^p (the authors use 2).</summary>
public sealed record AtParameters : LossParameters
{
    public double P { get; init; } = 2.0;
    public override void Validate(string loss) => Require(P > 0 && double.IsFinite(P), loss, "p", "must be a positive number", P);
}

/// <summary>
/// Attention transfer (Zagoruyko &amp; Komodakis, ICLR 2017, "Paying More Attention to Attention"), as their code:
/// the map of a [C, H, W] feature is mean over channels of a^p, flattened and L2-normalized per sample
/// (F.normalize, eps 1e-12); the loss is the mean over samples and positions of the squared difference of the maps.
/// Channels may differ between student and teacher; when the spatial sizes differ the larger map is average-pooled to
/// the smaller (mdistiller's AT).
/// </summary>
public sealed class AttentionTransferLoss(AtParameters parameters) : DistillationLoss
{
    public override string Name => "at";
    public override LossParameters Parameters => parameters;

    public override string? ShapeProblem(long[] student, long[] teacher) =>
        student.Length == 3 && teacher.Length == 3 ? null : "it takes feature maps [C, H, W] on both sides";

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student;
        var t = batch.RequireTeacher(Name).Logits.to(s.dtype);   // [B, C', H', W']
        long sh = s.shape[2], th = t.shape[2];
        if (sh > th) s = nn.functional.adaptive_avg_pool2d(s, new[] { th, t.shape[3] });
        else if (th > sh) t = nn.functional.adaptive_avg_pool2d(t, new[] { sh, s.shape[3] });
        return (Map(s) - Map(t)).pow(2).mean();
    }

    private Tensor Map(Tensor f)
    {
        var a = parameters.P == 2.0 ? f * f : f.pow(parameters.P);
        return nn.functional.normalize(a.mean(new long[] { 1 }).reshape(f.shape[0], -1), p: 2, dim: 1, eps: 1e-12);
    }
}
