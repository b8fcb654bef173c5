using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// A student whose logits path is an ordered list of layers, each named by its state_dict path (e.g. "layers.fc0"),
/// with taps taken after named layers. forward() runs the path; <see cref="ForwardTaps"/> keeps the requested taps on
/// the way; the ONNX exporter emits the same path (one generic export for every built-in). Subclasses hold their layers
/// as fields (their state_dict names) and describe the path once with <see cref="Path"/>.
/// A multi-task student adds <see cref="Head"/>s: named outputs computed from a tap of the path (the path is then its
/// shared backbone), optionally with a lateral branch from another tap added first (a top-down connection, as in FPN);
/// its outputs are the heads instead of <c>logits</c>, and forward() returns the first head.
/// </summary>
public abstract class LayerStudent : Module<Tensor, Tensor>, ITappedStudent
{
    private readonly List<(string Path, Module<Tensor, Tensor> Layer)> _path = new();
    private readonly Dictionary<string, int> _tapAfter = new();
    private readonly List<string> _tapNames = new();
    private readonly List<HeadPath> _heads = new();

    /// <summary>
    /// A head: <c>Layers</c>(tap <c>From</c> [+ <c>Lateral</c>(tap <c>LateralFrom</c>)]) is the output <c>Name</c>.
    /// </summary>
    public sealed record HeadPath(string Name, string From, IReadOnlyList<(string Path, Module<Tensor, Tensor> Layer)> Layers,
        string? LateralFrom = null, IReadOnlyList<(string Path, Module<Tensor, Tensor> Layer)>? Lateral = null);

    protected LayerStudent(string name) : base(name) { }

    /// <summary>Appends a layer (its state_dict path, e.g. "conv1" or "stages.s0b0"), optionally with a tap after it.</summary>
    protected void Path(string path, Module<Tensor, Tensor> layer, string? tap = null)
    {
        _path.Add((path, layer));
        if (tap is null) return;
        _tapAfter[tap] = _path.Count - 1;
        _tapNames.Add(tap);
    }

    /// <summary>Adds a head (an output of its own) from the taps of the path, after the path is complete.</summary>
    protected void Head(HeadPath head)
    {
        foreach (var tap in new[] { head.From, head.LateralFrom }.OfType<string>())
            if (!_tapAfter.ContainsKey(tap)) throw new ArgumentException($"head '{head.Name}' reads tap '{tap}', which the path does not have");
        _heads.Add(head);
    }

    /// <summary>The logits path (the backbone of a multi-task student) in order (for the exporter).</summary>
    public IReadOnlyList<(string Path, Module<Tensor, Tensor> Layer)> LayerPath => _path;

    /// <summary>The heads, empty for a single-output student (for the exporter).</summary>
    public IReadOnlyList<HeadPath> Heads => _heads;

    public IReadOnlyList<string> TapNames => _tapNames;

    /// <summary>Each tap's position in <see cref="LayerPath"/>: it is the output of that layer (for the exporter).</summary>
    public IReadOnlyDictionary<string, int> TapPositions => _tapAfter;

    public IReadOnlyList<string> OutputNames => _heads.Count == 0 ? new[] { "logits" } : _heads.Select(h => h.Name).ToArray();

    public override Tensor forward(Tensor x) => _heads.Count == 0 ? Run(x, null) : ForwardTaps(x, Array.Empty<string>())[_heads[0].Name];

    public IReadOnlyDictionary<string, Tensor> ForwardTaps(Tensor x, IReadOnlyCollection<string> taps)
    {
        var wanted = new HashSet<int>();
        foreach (var t in taps.Where(t => !OutputNames.Contains(t)))
            wanted.Add(_tapAfter.TryGetValue(t, out var i) ? i
                : throw new DistillException($"student {GetName()} has no tap '{t}' (its taps: {string.Join(", ", _tapNames)}" +
                    (_heads.Count == 0 ? ")" : $"; its outputs: {string.Join(", ", OutputNames)})")));
        foreach (var h in _heads)
        {
            wanted.Add(_tapAfter[h.From]);
            if (h.LateralFrom is not null) wanted.Add(_tapAfter[h.LateralFrom]);
        }
        var kept = new Dictionary<int, Tensor>();
        var end = Run(x, kept, wanted);
        var result = new Dictionary<string, Tensor>();
        foreach (var t in taps.Where(t => !OutputNames.Contains(t))) result[t] = kept[_tapAfter[t]];
        if (_heads.Count == 0) result["logits"] = end;
        foreach (var h in _heads)
        {
            var input = kept[_tapAfter[h.From]];
            if (h.LateralFrom is not null) input = input + Chain(h.Lateral!, kept[_tapAfter[h.LateralFrom]]);
            result[h.Name] = Chain(h.Layers, input);
        }
        return result;
    }

    // The path; the outputs of the layers in `wanted` (by position) go into `kept`.
    private Tensor Run(Tensor x, Dictionary<int, Tensor>? kept, HashSet<int>? wanted = null)
    {
        var h = x;
        for (int i = 0; i < _path.Count; i++)
        {
            h = _path[i].Layer.call(h);
            if (wanted?.Contains(i) == true) kept![i] = h;
        }
        return h;
    }

    private static Tensor Chain(IReadOnlyList<(string Path, Module<Tensor, Tensor> Layer)> layers, Tensor x)
    {
        foreach (var (_, layer) in layers) x = layer.call(x);
        return x;
    }
}

/// <summary>
/// A residual block relu(body(x) + shortcut(x)) (He et al. 2016) whose body is an ordered list of named layers
/// registered directly on the block (state_dict "conv1.weight", ...) and whose shortcut is identity or a module.
/// A generic building block the exporter knows by type, not by a student's name.
/// </summary>
public sealed class Residual : Module<Tensor, Tensor>
{
    private readonly List<(string Name, Module<Tensor, Tensor> Layer)> _body;
    private readonly Module<Tensor, Tensor>? _shortcut;

    public Residual(IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> body, Module<Tensor, Tensor>? shortcut) : base("Residual")
    {
        _body = body.ToList();
        _shortcut = shortcut;
        foreach (var (name, layer) in _body) register_module(name, layer);
        if (shortcut is not null) register_module("shortcut", shortcut);
    }

    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Body => _body;
    public Module<Tensor, Tensor>? Shortcut => _shortcut;

    public override Tensor forward(Tensor x)
    {
        var h = x;
        foreach (var (_, layer) in _body) h = layer.call(h);
        using var s = _shortcut is null ? x.alias() : _shortcut.call(x);
        return functional.relu(h + s);
    }
}
