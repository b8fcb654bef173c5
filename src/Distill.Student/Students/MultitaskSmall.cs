using Distill.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.Student.Students;

/// <summary>
/// multitask-small: the two-head student of a segmentation + detection teacher (models/fmnist-scenes), with the
/// teacher's output layout and about a quarter of its parameters. A residual backbone (He et al., CVPR 2016): 3×3 conv
/// stride 2 (16), basic blocks 16 (stride 1), 32 (stride 2, tap layer2, stride 4) and 64 (stride 2, tap layer3,
/// stride 8). Segmentation head at stride 4 on layer2 plus a top-down lateral (1×1 conv of layer3, nearest ×2; FPN, Lin
/// et al., CVPR 2017): 3×3 conv-BN-ReLU 32, 1×1 conv to the K + 1 classes. Detection head at stride 8 on layer3
/// (YOLO-style, Redmon and Farhadi 2017): 3×3 conv-BN-ReLU 48, 1×1 conv to A·(5 + K), as rows [A·GH·GW, 5 + K]
/// (<see cref="DetectionGrid"/>). Its outputs carry the teacher's output names (seg and det for models/fmnist-scenes),
/// and its heads are sized from the teacher's cache (<see cref="DenseHeads"/>).
/// </summary>
public sealed class MultitaskSmall : LayerStudent
{
    private readonly Sequential stem, seg_head, det_head;
    private readonly Residual layer1, layer2, layer3;
    private readonly Conv2d lateral;
    private readonly Upsample up;
    private readonly DetectionGrid det_grid;

    public const string Name = "multitask-small";

    /// <summary>The student for samples of <paramref name="sampleShape"/> ([C, H, W], H and W multiples of 8) and the teacher's heads.</summary>
    public static MultitaskSmall Create(int[] sampleShape, DenseHeads? heads)
    {
        if (sampleShape is not [var c, var h, var w] || h % 8 != 0 || w % 8 != 0)
            throw new DistillException($"student '{Name}' needs image samples [C, H, W] with H and W multiples of 8, the dataset has [{string.Join(", ", sampleShape)}]");
        if (heads is not { SegmentationOutput: { } segName, SegmentationShape: { } seg, DetectionOutput: { } detName, Detection: { } det })
            throw new DistillException($"student '{Name}' mirrors a teacher's segmentation map and detection head: the cache must hold both " +
                $"(precompute-logits --output SEG --output DET with the teacher card's anchors and grid; this cache has {heads?.ToString() ?? "neither"})");
        if (seg[1] != h / 4 || seg[2] != w / 4 || det.GridHeight != h / 8 || det.GridWidth != w / 8)
            throw new DistillException($"student '{Name}' has its segmentation head at stride 4 and its detection head at stride 8 " +
                $"([C, {h / 4}, {w / 4}] and a {h / 8}x{w / 8} grid on {h}x{w} inputs); the teacher's are [{string.Join(", ", seg)}] and a {det.GridHeight}x{det.GridWidth} grid");
        return new MultitaskSmall(c, seg[0], segName, det.Anchors.Count, det.ClassCount, detName);
    }

    private MultitaskSmall(int channels, int segClasses, string segOutput, int anchors, int detClasses, string detOutput) : base("MultitaskSmall")
    {
        stem = Sequential(("conv", Conv2d(channels, 16, 3, stride: 2, padding: 1, bias: false)), ("bn", BatchNorm2d(16)), ("relu", ReLU()));
        layer1 = Block(16, 16, 1);
        layer2 = Block(16, 32, 2);
        layer3 = Block(32, 64, 2);
        lateral = Conv2d(64, 32, 1);
        up = Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest);
        seg_head = Sequential(("conv", Conv2d(32, 32, 3, padding: 1, bias: false)), ("bn", BatchNorm2d(32)), ("relu", ReLU()),
            ("out", Conv2d(32, segClasses, 1)));
        det_head = Sequential(("conv", Conv2d(64, 48, 3, padding: 1, bias: false)), ("bn", BatchNorm2d(48)), ("relu", ReLU()),
            ("out", Conv2d(48, anchors * (5 + detClasses), 1)));
        det_grid = new DetectionGrid(anchors, 5 + detClasses);
        RegisterComponents();
        Path("stem", stem);
        Path("layer1", layer1);
        Path("layer2", layer2, tap: "layer2");
        Path("layer3", layer3, tap: "layer3");
        Head(new HeadPath(segOutput, "layer2", new (string, Module<Tensor, Tensor>)[] { ("seg_head", seg_head) },
            "layer3", new (string, Module<Tensor, Tensor>)[] { ("lateral", lateral), ("up", up) }));
        Head(new HeadPath(detOutput, "layer3", new (string, Module<Tensor, Tensor>)[] { ("det_head", det_head), ("det_grid", det_grid) }));
    }

    /// <summary>The teacher's basic block: conv3×3-BN-ReLU-conv3×3-BN plus the shortcut (1×1 conv + BN when the shape changes), then ReLU.</summary>
    private static Residual Block(int inC, int outC, int stride) => new(
        new (string, Module<Tensor, Tensor>)[]
        {
            ("conv1", Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false)), ("bn1", BatchNorm2d(outC)), ("relu", ReLU()),
            ("conv2", Conv2d(outC, outC, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(outC)),
        },
        stride != 1 || inC != outC ? Sequential(("conv", Conv2d(inC, outC, 1, stride: stride, bias: false)), ("bn", BatchNorm2d(outC))) : null);
}
