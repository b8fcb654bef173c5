using Distill.Data;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// The segmentation label loss: per-pixel cross-entropy (mean over every pixel of the batch) between a segmentation
/// head [N, K + 1, h, w] and the class masks resized to h × w by nearest neighbour with half-pixel centres
/// (<see cref="MaskResize"/>, as the mIoU metric resizes them), as models/fmnist-scenes/train.py trains its teacher
/// (seed 003's CE_Loss; the FCN objective of Long et al., CVPR 2015).
/// </summary>
public sealed class SegCeLoss : DistillationLoss
{
    private (long From, long To, Tensor Index)? _rows, _cols;   // MaskResize's source indices, per size pair

    public override string Name => "seg_ce";
    public override LossParameters Parameters { get; } = new NoParameters();
    public override bool NeedsTeacher => false;
    public override IReadOnlyList<string> DatasetTargets { get; } = new[] { DenseTargetLayout.Masks };
    public override string? ShapeProblem(long[] student, long[] teacher) => null;   // no teacher column

    public override string? BindTargets(string output, long[] student, DenseTargetLayout layout) =>
        student is not [var c, _, _] ? $"it takes a segmentation map [K + 1, h, w], the student output '{output}' is [{string.Join(", ", student)}]"
        : layout.MaskClasses is int k && c != k ? $"the student output '{output}' has {c} classes per pixel, the masks {k} (background and {k - 1} classes)"
        : null;

    public override Tensor Forward(LossBatch batch)
    {
        var s = batch.Student;
        var masks = batch.Targets.GetValueOrDefault(DenseTargetLayout.Masks)
            ?? throw new DistillException($"loss '{Name}' needs the dataset's masks, but the batch has none");
        long h = s.shape[2], w = s.shape[3];
        _rows = Indices(_rows, masks.shape[1], h);
        _cols = Indices(_cols, masks.shape[2], w);
        var rows = _rows.Value.Index.to(masks.device);   // the cached tensor itself on the CPU: not disposed here
        var cols = _cols.Value.Index.to(masks.device);
        using var resized = masks.index_select(1, rows).index_select(2, cols).to(ScalarType.Int64);
        return nn.functional.cross_entropy(s, resized);
    }

    // On the CPU, kept across batches (outside any batch's dispose scope).
    private static (long, long, Tensor) Indices((long From, long To, Tensor Index)? cached, long from, long to)
    {
        if (cached is { } c && c.From == from && c.To == to) return c;
        cached?.Index.Dispose();
        var index = Enumerable.Range(0, (int)to).Select(i => (long)MaskResize.SourceIndex(i, (int)from, (int)to)).ToArray();
        return (from, to, tensor(index).DetachFromDisposeScope());
    }
}
