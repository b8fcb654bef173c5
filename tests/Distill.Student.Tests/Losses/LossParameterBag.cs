using System.Text.Json.Nodes;
using Distill.Student.Losses;

namespace Distill.Student.Tests.Losses;

/// <summary>
/// The tests' one bag of loss settings: <see cref="Create"/> passes each loss only the parameters it takes (as a recipe
/// term would name them), so one bag drives kd, dkd, dist and adkd alike.
/// </summary>
internal sealed record LossParameterBag
{
    public double? Temperature { get; init; }
    public double? Alpha { get; init; }
    public double? Beta { get; init; }
    public double? Gamma { get; init; }

    public DistillationLoss Create(string loss)
    {
        var takes = LossRegistry.Get(loss).ParameterNames;
        var p = new Dictionary<string, JsonNode?>();
        void Put(string key, double? v) { if (v is { } x && takes.Contains(key)) p[key] = x; }
        Put("temperature", Temperature); Put("alpha", Alpha); Put("beta", Beta); Put("gamma", Gamma);
        return LossRegistry.Create(loss, p);
    }
}
