using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// Flatten, then Linear → ReLU for each hidden width, then Linear → classes (no dropout). Taps: hidden1, hidden2, ...
/// (after each ReLU, [width]). state_dict: layers.fc0.weight, ...
/// </summary>
public sealed class Mlp : LayerStudent
{
    private readonly Sequential layers;

    public Mlp(int inputs, IReadOnlyList<int> hidden, int classes) : base("Mlp")
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        int width = inputs, i = 0;
        foreach (var h in hidden)
        {
            modules.Add(($"fc{i}", Linear(width, h)));
            modules.Add(($"relu{i}", ReLU()));
            width = h; i++;
        }
        modules.Add(($"fc{i}", Linear(width, classes)));
        layers = Sequential(modules);
        RegisterComponents();
        Path("flatten", Flatten());
        int relu = 0;
        foreach (var (name, m) in layers.named_children())
            Path("layers." + name, (Module<Tensor, Tensor>)m, name.StartsWith("relu", StringComparison.Ordinal) ? $"hidden{++relu}" : null);
    }
}
