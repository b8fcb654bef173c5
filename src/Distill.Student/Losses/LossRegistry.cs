using Distill.Data;

namespace Distill.Student.Losses;

/// <summary>Every loss by name: adding a loss is one file plus one line here.</summary>
public static class LossRegistry
{
    private static readonly Dictionary<string, Func<LossOptions, DistillationLoss>> Factories = new()
    {
        ["ce"] = o => new CeLoss(o),
        ["kd"] = o => new KdLoss(o),
        ["kldiv_seed"] = o => new KdLoss(o), // seed 001's KLDiv module: the same value as kd
        ["dkd"] = o => new DkdLoss(o),
        ["dist"] = o => new DistLoss(o),
        ["adkd"] = o => new AdkdLoss(o),
        ["seg_kl"] = o => new SegKlLoss(o),
        ["det_mse"] = o => new DetMseLoss(o),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static DistillationLoss Create(string name, LossOptions options) =>
        Factories.TryGetValue(name, out var make) ? make(options)
            : throw new DistillException($"unknown loss '{name}' (known: {string.Join(", ", Names)})");
}
