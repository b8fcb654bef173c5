using Distill.Data;
using Distill.Student.Losses;
using Distill.Student.Training;

namespace Distill.Student.Terms;

/// <summary>
/// A recipe's terms: its <c>terms</c> list, or the flat shorthand turned into terms — <c>--loss L</c> gives
/// ce_weight · ce + kd_weight · L, with the weights each loss registers for the shorthand (kd: 0.1 / 0.9, others 1 / 1),
/// temperature, alpha, beta, gamma and standardize going to L (which refuses those it does not take), label smoothing to
/// ce and warmup to L's term. <c>--loss ce</c> is cross-entropy alone.
/// </summary>
public static class RecipeTerms
{
    public static IReadOnlyList<TermSpec> Of(Recipe r)
    {
        var shorthand = new (string Key, object? Value)[]
        {
            ("loss", r.Loss), ("temperature", r.Temperature), ("alpha", r.Alpha), ("beta", r.Beta), ("gamma", r.Gamma),
            ("standardize", r.Standardize), ("ce_weight", r.CeWeight), ("kd_weight", r.KdWeight), ("warmup", r.Warmup),
            ("label_smoothing", r.LabelSmoothing),
        };
        if (r.Terms is { } terms)
        {
            var given = shorthand.Where(s => s.Value is not null).Select(s => s.Key).ToList();
            if (given.Count > 0)
                throw new DistillException($"the recipe gives terms and the shorthand {string.Join(", ", given)}: put those into the terms instead");
            if (terms.Count == 0) throw new DistillException("the recipe's terms list is empty");
            return terms;
        }
        // JSON has no NaN or infinity: a non-finite flag is refused here, by its flag, before it becomes a parameter.
        foreach (var (key, value) in shorthand)
            if (value is double d && !double.IsFinite(d))
                throw new DistillException($"--{key.Replace('_', '-')} must be a finite number, got {d}");
        string loss = r.Loss ?? "kd";
        var def = LossRegistry.Get(loss);
        var ceParams = new Dictionary<string, object>();
        if (r.LabelSmoothing is { } ls) ceParams["label_smoothing"] = ls;
        var lossParams = new Dictionary<string, object>();
        foreach (var (key, value) in shorthand[1..6])
            if (value is not null) lossParams[key] = value;
        var ce = new TermSpec { Loss = "ce", Weight = r.CeWeight ?? def.ShorthandCeWeight }.WithParameters(ceParams);
        if (loss == ce.Loss)   // the shorthand's own CE term, alone
        {
            if (r.Warmup is not null) throw new DistillException("--warmup ramps in the distillation term; --loss ce has none");
            // Parameters of a distillation loss given with --loss ce: ce refuses them by name when the objective is built.
            return new[] { ce.WithParameters(ceParams.Concat(lossParams).ToDictionary(kv => kv.Key, kv => kv.Value)) };
        }
        var term = new TermSpec { Loss = loss, Weight = r.KdWeight ?? def.ShorthandWeight, Warmup = r.Warmup ?? 0 }.WithParameters(lossParams);
        return new[] { ce, term };
    }
}
