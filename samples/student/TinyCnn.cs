using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Samples.Student;

/// <summary>
/// A student of our own: conv → ReLU → max-pool → flatten → linear, for 1×28×28 images. Its forward calls its layers
/// one after another (PyTorch's module(x) is call(x)), so the ONNX exporter can trace it and train writes student.onnx.
/// </summary>
internal sealed class TinyCnn : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv, relu, pool, flatten, head;

    public TinyCnn(int classes) : base(nameof(TinyCnn))
    {
        conv = nn.Conv2d(1, 8, 3, padding: 1);
        relu = nn.ReLU();
        pool = nn.MaxPool2d(4);
        flatten = nn.Flatten();
        head = nn.Linear(8 * 7 * 7, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.call(flatten.call(pool.call(relu.call(conv.call(x)))));
}
