using Distill.Data;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>One weighted term of an objective.</summary>
public sealed record ObjectiveTerm(string Name, double Weight, DistillationLoss Loss);

/// <summary>The total to back-propagate and each weighted term's value, for logging.</summary>
public sealed record ObjectiveResult(Tensor Total, IReadOnlyDictionary<string, double> Parts);

/// <summary>The training objective Σ w_i · loss_i (typically w_ce · ce + w_kd · distillation loss).</summary>
public sealed class CombinedObjective
{
    public IReadOnlyList<ObjectiveTerm> Terms { get; }

    public CombinedObjective(IEnumerable<ObjectiveTerm> terms)
    {
        Terms = terms.Where(t => t.Weight != 0).ToList();
        if (Terms.Count == 0) throw new DistillException("the objective has no term with a non-zero weight");
        foreach (var t in Terms)
            if (double.IsNaN(t.Weight) || double.IsInfinity(t.Weight) || t.Weight < 0)
                throw new DistillException($"weight of '{t.Name}' must be a finite non-negative number, got {t.Weight}");
    }

    /// <summary>
    /// From a recipe: loss "ce" is cross-entropy alone (weight <paramref name="ceWeight"/>); any other registered loss
    /// gives ceWeight · ce + kdWeight · loss.
    /// </summary>
    public static CombinedObjective FromRecipe(string loss, double ceWeight, double kdWeight, LossOptions options)
    {
        var terms = new List<ObjectiveTerm> { new("ce", ceWeight, LossRegistry.Create("ce", options)) };
        if (loss != "ce") terms.Add(new(loss, kdWeight, LossRegistry.Create(loss, options)));
        return new CombinedObjective(terms);
    }

    public bool NeedsTeacher => Terms.Any(t => t.Loss.NeedsTeacher);
    public bool NeedsLabels => Terms.Any(t => t.Loss.NeedsLabels);

    public ObjectiveResult Compute(LossBatch batch)
    {
        var parts = new Dictionary<string, double>();
        Tensor? total = null;
        foreach (var term in Terms)
        {
            var value = term.Loss.Forward(batch) * term.Weight;
            parts[term.Name] = value.detach().cpu().to_type(ScalarType.Float64).item<double>();
            total = total is null ? value : total + value;
        }
        return new ObjectiveResult(total!, parts);
    }
}
