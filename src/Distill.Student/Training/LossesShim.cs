// TEMPORARY until the losses branch lands: delete this file when merging it.
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

public sealed record ObjectiveResult(Tensor Total, IReadOnlyDictionary<string, double> Parts);

public sealed class CombinedObjective
{
    private readonly string _loss; private readonly double _ce, _kd; private readonly LossOptions _o;
    private CombinedObjective(string loss, double ce, double kd, LossOptions o) { _loss = loss; _ce = ce; _kd = kd; _o = o; }
    public static CombinedObjective FromRecipe(string loss, double ceWeight, double kdWeight, LossOptions options) =>
        loss is "ce" or "kd" ? new(loss, ceWeight, kdWeight, options) : throw new Distill.Data.DistillException($"unknown loss '{loss}'");
    public bool NeedsTeacher => _loss != "ce" && _kd != 0;
    public ObjectiveResult Compute(LossBatch b)
    {
        var parts = new Dictionary<string, double>();
        var ce = nn.functional.cross_entropy(b.StudentLogits, b.Labels!) * _ce;
        parts["ce"] = ce.item<float>();
        if (!NeedsTeacher) return new(ce, parts);
        double T = _o.Temperature;
        var logP = nn.functional.log_softmax(b.StudentLogits / T, 1);
        var q = nn.functional.softmax(b.Teacher.Dense("kd") / T, 1);
        var kd = (q * (q.clamp_min(1e-30).log() - logP)).sum() / b.StudentLogits.shape[0] * (T * T * _kd);
        parts["kd"] = kd.item<float>();
        return new(ce + kd, parts);
    }
}
