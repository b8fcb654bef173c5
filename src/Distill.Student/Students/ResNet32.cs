using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// A small CIFAR-style ResNet for 32×32 inputs (He et al. 2016, §4.2): 3×3 conv 16, then three stages of n basic
/// blocks with 16/32/64 channels (stride 2 between stages), global average pooling, Linear → classes.
/// n = 3 gives ResNet-20, n = 5 ResNet-32. Works for other input sizes too (pooling is adaptive).
/// </summary>
public sealed class ResNet32 : Module<Tensor, Tensor>
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
                blocks.Add(($"s{stage}b{i}", new BasicBlock(inC, outC, stride)));
                inC = outC;
            }
        stages = Sequential(blocks);
        pool = AdaptiveAvgPool2d(1);
        fc = Linear(64, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = functional.relu(bn.forward(stem.forward(x)));
        using var b = stages.forward(a);
        using var c = pool.forward(b);
        return fc.forward(c.flatten(1));
    }

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1, conv2;
        private readonly BatchNorm2d bn1, bn2;
        private readonly Sequential? shortcut;

        public BasicBlock(int inC, int outC, int stride) : base("BasicBlock")
        {
            conv1 = Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(outC);
            conv2 = Conv2d(outC, outC, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(outC);
            if (stride != 1 || inC != outC)
                shortcut = Sequential(("conv", Conv2d(inC, outC, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outC)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var a = functional.relu(bn1.forward(conv1.forward(x)));
            using var b = bn2.forward(conv2.forward(a));
            using var s = shortcut is null ? x.alias() : shortcut.forward(x);
            return functional.relu(b + s);
        }
    }
}
