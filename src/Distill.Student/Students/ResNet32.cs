using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// A small CIFAR-style ResNet for 32×32 inputs (He et al. 2016, §4.2): 3×3 conv 16, then three stages of n basic
/// blocks with 16/32/64 channels (stride 2 between stages), global average pooling, Linear → classes.
/// n = 3 gives ResNet-20, n = 5 ResNet-32. Works for other input sizes too (pooling is adaptive).
/// Taps: layer1, layer2, layer3 (each stage's output, [16|32|64, H, W]) and pool ([64]).
/// </summary>
public sealed class ResNet32 : LayerStudent
{
    private readonly Conv2d stem;
    private readonly BatchNorm2d bn;
    private readonly Sequential stages;
    private readonly AdaptiveAvgPool2d pool;
    private readonly Linear fc;

    public ResNet32(int channels, int classes, int blocksPerStage = 5) : base("ResNet32")
    {
        stem = Conv2d(channels, 16, 3, padding: 1, bias: false);
        bn = BatchNorm2d(16);
        var blocks = new List<(string, Module<Tensor, Tensor>)>();
        int inC = 16;
        foreach (var (outC, stage) in new[] { (16, 0), (32, 1), (64, 2) })
            for (int i = 0; i < blocksPerStage; i++)
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                blocks.Add(($"s{stage}b{i}", BasicBlock(inC, outC, stride)));
                inC = outC;
            }
        stages = Sequential(blocks);
        pool = AdaptiveAvgPool2d(1);
        fc = Linear(64, classes);
        RegisterComponents();
        Path("stem", stem);
        Path("bn", bn);
        Path("relu", ReLU());
        foreach (var (name, block) in blocks)
            Path("stages." + name, block, name.EndsWith($"b{blocksPerStage - 1}", StringComparison.Ordinal) ? $"layer{name[1] - '0' + 1}" : null);
        Path("pool", pool);
        Path("flatten", Flatten(), tap: "pool");
        Path("fc", fc);
    }

    /// <summary>conv3×3-BN-ReLU-conv3×3-BN plus the shortcut (1×1 conv + BN when the shape changes), then ReLU.</summary>
    private static Residual BasicBlock(int inC, int outC, int stride) => new(
        new (string, Module<Tensor, Tensor>)[]
        {
            ("conv1", Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false)), ("bn1", BatchNorm2d(outC)), ("relu", ReLU()),
            ("conv2", Conv2d(outC, outC, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(outC)),
        },
        stride != 1 || inC != outC ? Sequential(("conv", Conv2d(inC, outC, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outC))) : null);
}
