using Distill.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Terms;

/// <summary>
/// Adapters map a student output to the teacher column's shape so a feature loss can compare them (FitNets' regressor,
/// Romero et al. 2015): <c>linear</c> for [D] → [D'] (nn.Linear), <c>conv</c> for [C,H,W] → [C',H',W'] (1×1 convolution
/// without bias and batch norm, as mdistiller's ConvReg without its ReLU, after adaptive average pooling of the student
/// map to H'×W' when the sizes differ). Adapters train with the student, are checkpointed with it and are not exported.
/// </summary>
public static class AdapterKinds
{
    public static IReadOnlyList<string> Names { get; } = new[] { "linear", "conv" };

    public static Module<Tensor, Tensor> Create(string kind, long[] student, long[] teacher, string term) => kind switch
    {
        "linear" when student.Length == 1 && teacher.Length == 1 => Linear(student[0], teacher[0]),
        "linear" => throw new DistillException($"term '{term}': adapter 'linear' maps [D] to [D'], the student output is {Show(student)} and the teacher column {Show(teacher)}"),
        "conv" when student.Length == 3 && teacher.Length == 3 => new ConvAdapter(student, teacher),
        "conv" => throw new DistillException($"term '{term}': adapter 'conv' maps [C, H, W] to [C', H', W'], the student output is {Show(student)} and the teacher column {Show(teacher)}"),
        _ => throw new DistillException($"term '{term}': unknown adapter '{kind}' (known: {string.Join(", ", Names)})"),
    };

    public static string Show(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>Adaptive average pooling to the teacher's H×W (when different), 1×1 conv C → C', batch norm.</summary>
    public sealed class ConvAdapter : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly BatchNorm2d bn;
        private readonly long[]? _pool;

        public ConvAdapter(long[] student, long[] teacher) : base("ConvAdapter")
        {
            conv = Conv2d(student[0], teacher[0], 1, bias: false);
            bn = BatchNorm2d(teacher[0]);
            if (student[1] != teacher[1] || student[2] != teacher[2]) _pool = new[] { teacher[1], teacher[2] };
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) =>
            bn.call(conv.call(_pool is null ? x : functional.adaptive_avg_pool2d(x, _pool)));
    }
}

/// <summary>The objective's adapters by term name, one module so they train, checkpoint and resume together.</summary>
public sealed class AdapterSet : nn.Module
{
    private readonly Dictionary<string, Module<Tensor, Tensor>> _byTerm = new();

    public AdapterSet() : base("Adapters") { }

    public void Add(string term, Module<Tensor, Tensor> adapter)
    {
        _byTerm[term] = adapter;
        register_module(term, adapter);
    }

    public int Count => _byTerm.Count;

    public Module<Tensor, Tensor>? For(string term) => _byTerm.GetValueOrDefault(term);
}
