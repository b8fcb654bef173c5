using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Distill.Data;

namespace Distill.Student.Losses;

/// <summary>
/// A registered loss: its parameter record type (the paper's defaults and validation live there), the factory, and the
/// weights the flat shorthand (<c>--loss NAME --ce-weight --kd-weight</c>) gives CE and the loss when not told.
/// </summary>
public sealed record LossDefinition(string Name, Type ParametersType, Func<LossParameters, DistillationLoss> Factory,
    double ShorthandCeWeight = 1.0, double ShorthandWeight = 1.0)
{
    public IReadOnlyList<string> ParameterNames => LossParameters.NamesOf(ParametersType);
}

/// <summary>
/// Every loss by name: a loss is one file plus one line here. Public: a library user registers a loss of their own
/// (<see cref="Register{TParams}"/>) and uses it by name in a recipe's terms.
/// </summary>
public static class LossRegistry
{
    private static readonly ConcurrentDictionary<string, LossDefinition> Definitions = new();
    private static readonly List<string> Order = new();   // registration order, for listings

    static LossRegistry()
    {
        Register<CeParameters>("ce", p => new CeLoss(p));
        Register<KdParameters>("kd", p => new KdLoss(p), shorthandCeWeight: 0.1, shorthandWeight: 0.9);   // Hinton's 0.1 / 0.9
        Register<KdParameters>("kldiv_seed", p => new KdLoss(p, "kldiv_seed"));   // seed 001's KLDiv module: the same value as kd
        Register<DkdParameters>("dkd", p => new DkdLoss(p));
        Register<DistParameters>("dist", p => new DistLoss(p));
        Register<AdkdParameters>("adkd", p => new AdkdLoss(p));
        Register<SegKlParameters>("seg_kl", p => new SegKlLoss(p));
        Register<DetMseParameters>("det_mse", p => new DetMseLoss(p));
        Register<NoParameters>("seg_ce", _ => new SegCeLoss());
        Register<DetYoloParameters>("det_yolo", p => new DetYoloLoss(p));
        Register<NoParameters>("hint_mse", _ => new HintMseLoss());
        Register<NoParameters>("hint_cosine", _ => new HintCosineLoss());
        Register<HintSmoothL1Parameters>("hint_smooth_l1", p => new HintSmoothL1Loss(p));
        Register<AtParameters>("at", p => new AttentionTransferLoss(p));
    }

    public static IReadOnlyCollection<string> Names { get { lock (Order) return Order.ToList(); } }

    /// <summary>
    /// Adds a loss under <paramref name="name"/>. <typeparamref name="TParams"/> is its parameter record (properties with
    /// defaults, <see cref="LossParameters.Validate"/>); the factory gets the bound, validated record.
    /// </summary>
    public static void Register<TParams>(string name, Func<TParams, DistillationLoss> factory,
        double shorthandCeWeight = 1.0, double shorthandWeight = 1.0) where TParams : LossParameters, new()
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a loss needs a name", nameof(name));
        var def = new LossDefinition(name, typeof(TParams), p => factory((TParams)p), shorthandCeWeight, shorthandWeight);
        if (!Definitions.TryAdd(name, def)) throw new ArgumentException($"loss '{name}' is already registered", nameof(name));
        lock (Order) Order.Add(name);
    }

    public static LossDefinition Get(string name) =>
        Definitions.TryGetValue(name, out var d) ? d
            : throw new DistillException($"unknown loss '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>The loss with parameters given by snake_case name (missing ones take the loss's defaults).</summary>
    public static DistillationLoss Create(string name, IReadOnlyDictionary<string, JsonNode?>? parameters = null)
    {
        var def = Get(name);
        return def.Factory(LossParameters.Bind(def.ParametersType, name, parameters ?? new Dictionary<string, JsonNode?>()));
    }

    /// <summary>The loss with a parameter record of its own type (validated here).</summary>
    public static DistillationLoss Create(string name, LossParameters parameters)
    {
        var def = Get(name);
        if (parameters.GetType() != def.ParametersType)
            throw new DistillException($"loss '{name}' takes {def.ParametersType.Name}, got {parameters.GetType().Name}");
        parameters.Validate(name);
        return def.Factory(parameters);
    }
}
