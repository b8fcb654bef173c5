using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Students;

/// <summary>
/// A student as the trainer sees it: a batch → named outputs, <c>logits</c> (a multi-task student's heads instead, see
/// <see cref="ITappedStudent.OutputNames"/>) plus the taps the terms ask for (and only those: a single-output student
/// with no taps is the plain forward()). Taps come from the module itself when it is an
/// <see cref="ITappedStudent"/> (every built-in), otherwise from forward hooks on its submodules by name, e.g.
/// "encoder.fc1" (TorchSharp fires a hook when the submodule is invoked with <c>call(x)</c>, PyTorch's <c>module(x)</c>,
/// as Sequential does; a forward() that calls <c>sub.forward(x)</c> directly bypasses hooks and is refused).
/// </summary>
public sealed class StudentOutputs : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly string[] _taps;
    private readonly IReadOnlyList<string> _outputs;
    private readonly Dictionary<string, Tensor> _hooked = new();
    private readonly List<Action> _removeHooks = new();

    public StudentOutputs(nn.Module<Tensor, Tensor> module, IReadOnlyCollection<string> taps)
    {
        _module = module;
        _outputs = OutputsOf(module);
        _taps = taps.Where(t => !_outputs.Contains(t)).Distinct().ToArray();
        if (_taps.Length == 0 || module is ITappedStudent tapped && Check(tapped)) return;
        var subs = Submodules(module);
        foreach (var tap in _taps)
        {
            if (!subs.TryGetValue(tap, out var sub))
                throw new DistillException($"the student has no submodule '{tap}' to tap (its submodules: {string.Join(", ", subs.Keys)})");
            var hook = sub.register_forward_hook((_, _, output) => { _hooked[tap] = output; return output; });
            _removeHooks.Add(hook.remove);
        }
    }

    /// <summary>The student's own outputs: <c>logits</c>, or a multi-task student's heads.</summary>
    public static IReadOnlyList<string> OutputsOf(nn.Module module) => module is ITappedStudent t ? t.OutputNames : new[] { "logits" };

    private bool Check(ITappedStudent tapped)
    {
        foreach (var t in _taps)
            if (!tapped.TapNames.Contains(t))
                throw new DistillException($"the student has no tap '{t}' (its taps: {string.Join(", ", tapped.TapNames)}" +
                    (tapped.OutputNames is ["logits"] ? ")" : $"; its outputs: {string.Join(", ", tapped.OutputNames)})"));
        return true;
    }

    /// <summary>Every submodule with one tensor in and out, by its dotted name (what hooks can tap).</summary>
    public static Dictionary<string, nn.Module<Tensor, Tensor>> Submodules(nn.Module module) => module.named_modules()
        .Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>)
        .ToDictionary(m => m.name, m => (nn.Module<Tensor, Tensor>)m.module);

    /// <summary>The student's outputs and each tap, for one batch.</summary>
    public IReadOnlyDictionary<string, Tensor> Forward(Tensor x)
    {
        if (_taps.Length == 0 && _outputs is ["logits"]) return new Dictionary<string, Tensor>(1) { ["logits"] = _module.forward(x) };
        if (_module is ITappedStudent tapped) return tapped.ForwardTaps(x, _taps);
        _hooked.Clear();
        var result = new Dictionary<string, Tensor>(_taps.Length + 1) { ["logits"] = _module.forward(x) };
        foreach (var tap in _taps)
            result[tap] = _hooked.TryGetValue(tap, out var t) ? t
                : throw new DistillException($"tap '{tap}': its forward hook did not fire; the module's forward() must invoke it with call(x) (as Sequential does), not forward(x)");
        _hooked.Clear();
        return result;
    }

    /// <summary>
    /// Each tap and its per-sample shape for one zero sample of <paramref name="sampleShape"/>: the named taps of an
    /// <see cref="ITappedStudent"/>, else every submodule a hook saw run (in the order they ran); the outputs (logits or
    /// a multi-task student's heads) last.
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Describe(nn.Module<Tensor, Tensor> module, int[] sampleShape)
    {
        var names = module is ITappedStudent t ? t.TapNames.ToList() : Submodules(module).Keys.ToList();
        var input = zeros(new long[] { 1 }.Concat(sampleShape.Select(d => (long)d)).ToArray());
        bool training = module.training;
        module.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            if (module is ITappedStudent tapped)
            {
                var outs = tapped.ForwardTaps(input, names);
                return names.Concat(tapped.OutputNames).Select(n => (n, outs[n].shape.Skip(1).ToArray())).ToList();
            }
            var seen = new List<(string, long[])>();
            var hooks = Submodules(module).Select(kv => kv.Value.register_forward_hook((_, _, o) =>
            {
                if (!seen.Any(s => s.Item1 == kv.Key)) seen.Add((kv.Key, o.shape.Skip(1).ToArray()));
                return o;
            })).Select(h => (Action)h.remove).ToList();
            try
            {
                var logits = module.forward(input);
                seen.Add(("logits", logits.shape.Skip(1).ToArray()));
            }
            finally { foreach (var remove in hooks) remove(); }
            return seen;
        }
        finally { module.train(training); }
    }

    public void Dispose()
    {
        foreach (var remove in _removeHooks) remove();
        _removeHooks.Clear();
    }
}
