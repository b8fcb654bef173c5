using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// The reference cnn-small for 1×28×28: Conv 1→8 5×5 pad 2, ReLU, maxpool 2; Conv 8→16 5×5, ReLU, maxpool 2;
/// Linear 400→classes. Other input sizes work; the linear layer's width follows the input.
/// Taps: conv1 (first block after pooling, [8, 14, 14]), conv2 ([16, 5, 5]) and fc1 (the flattened features that
/// enter the classifier fc, [400]; the architecture has no hidden linear layer, so this is its last feature layer).
/// </summary>
public sealed class CnnSmall : LayerStudent
{
    private readonly Conv2d conv1, conv2;
    private readonly MaxPool2d pool;
    private readonly Linear fc;

    public CnnSmall(int channels, int height, int width, int classes) : base("CnnSmall")
    {
        conv1 = Conv2d(channels, 8, 5, padding: 2);
        conv2 = Conv2d(8, 16, 5);
        pool = MaxPool2d(2);
        int h = ((height / 2) - 4) / 2, w = ((width / 2) - 4) / 2;
        if (h < 1 || w < 1) throw new Distill.Data.DistillException($"cnn-small needs inputs of at least 12×12, got {height}×{width}");
        fc = Linear(16 * h * w, classes);
        RegisterComponents();
        Path("conv1", conv1);
        Path("relu1", ReLU());
        Path("pool", pool, tap: "conv1");
        Path("conv2", conv2);
        Path("relu2", ReLU());
        Path("pool", pool, tap: "conv2");
        Path("flatten", Flatten(), tap: "fc1");
        Path("fc", fc);
    }
}
