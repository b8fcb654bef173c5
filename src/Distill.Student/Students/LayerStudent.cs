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
/// </summary>
public abstract class LayerStudent : Module<Tensor, Tensor>, ITappedStudent
{
    private readonly List<(string Path, Module<Tensor, Tensor> Layer)> _path = new();
    private readonly Dictionary<string, int> _tapAfter = new();
    private readonly List<string> _tapNames = new();

    protected LayerStudent(string name) : base(name) { }

    /// <summary>Appends a layer (its state_dict path, e.g. "conv1" or "stages.s0b0"), optionally with a tap after it.</summary>
    protected void Path(string path, Module<Tensor, Tensor> layer, string? tap = null)
    {
        _path.Add((path, layer));
        if (tap is null) return;
        _tapAfter[tap] = _path.Count - 1;
        _tapNames.Add(tap);
    }

    /// <summary>The logits path in order (for the exporter).</summary>
    public IReadOnlyList<(string Path, Module<Tensor, Tensor> Layer)> LayerPath => _path;

    public IReadOnlyList<string> TapNames => _tapNames;

    public override Tensor forward(Tensor x)
    {
        var h = x;
        foreach (var (_, layer) in _path) h = layer.call(h);
        return h;
    }

    public IReadOnlyDictionary<string, Tensor> ForwardTaps(Tensor x, IReadOnlyCollection<string> taps)
    {
        var wanted = new Dictionary<int, string>();
        foreach (var t in taps)
            wanted[_tapAfter.TryGetValue(t, out var i) ? i
                : throw new DistillException($"student {GetName()} has no tap '{t}' (its taps: {string.Join(", ", _tapNames)})")] = t;
        var result = new Dictionary<string, Tensor>();
        var h = x;
        for (int i = 0; i < _path.Count; i++)
        {
            h = _path[i].Layer.call(h);
            if (wanted.TryGetValue(i, out var name)) result[name] = h;
        }
        result["logits"] = h;
        return result;
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
