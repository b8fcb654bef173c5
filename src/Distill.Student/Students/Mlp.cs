using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>Flatten, then Linear → ReLU for each hidden width, then Linear → classes (no dropout).</summary>
public sealed class Mlp : Module<Tensor, Tensor>
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
    }

    public override Tensor forward(Tensor x) => layers.forward(x.flatten(1));
}
