using Distill.Data;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// The dataset's masks and boxes of each training batch as the tensors <see cref="LossBatch.Targets"/> holds
/// (<see cref="DenseTargetLayout.Masks"/>: [B, H, W] uint8; <see cref="DenseTargetLayout.Boxes"/>: [M, 6] float32 rows of
/// batch row, class, cx, cy, w, h), only those the objective reads. Masks are decoded once (<see cref="MasksInMemory"/>).
/// </summary>
public sealed class DenseTargetBatches
{
    private readonly MasksInMemory? _masks;
    private readonly IObjectBoxes? _boxes;
    private byte[] _maskBuffer = Array.Empty<byte>();

    /// <param name="wanted">The targets the objective reads (<see cref="Terms.Objective"/>'s losses' DatasetTargets).</param>
    public DenseTargetBatches(IDataset dataset, IReadOnlyCollection<string> wanted)
    {
        var dense = dataset as IDenseTargets;
        if (wanted.Contains(DenseTargetLayout.Masks))
            _masks = new MasksInMemory(dense?.Masks ?? throw new DistillException($"{dataset.Name} {dataset.Split} has no masks"), dataset.Count);
        if (wanted.Contains(DenseTargetLayout.Boxes))
            _boxes = dense?.Boxes ?? throw new DistillException($"{dataset.Name} {dataset.Split} has no label files with boxes");
    }

    /// <summary>The names a dataset provides (masks, boxes): what the objective's losses may ask for.</summary>
    public static IReadOnlyCollection<string> Provided(IDataset dataset) => dataset is IDenseTargets d
        ? new[] { d.Masks is null ? null : DenseTargetLayout.Masks, d.Boxes is null ? null : DenseTargetLayout.Boxes }.OfType<string>().ToArray()
        : Array.Empty<string>();

    /// <summary>The targets of <paramref name="b"/>'s rows, on <paramref name="device"/> (in the caller's dispose scope).</summary>
    public Dictionary<string, Tensor> For(HostBatch b, Device device)
    {
        var targets = new Dictionary<string, Tensor>(2);
        if (_masks is not null)
        {
            var (h, w) = _masks.MaskSize;
            int plane = h * w;
            if (_maskBuffer.Length != b.Rows * plane) _maskBuffer = new byte[b.Rows * plane];
            for (int r = 0; r < b.Rows; r++) _masks.Mask(b.Samples[r]).CopyTo(_maskBuffer.AsSpan(r * plane));
            targets[DenseTargetLayout.Masks] = tensor(_maskBuffer, new long[] { b.Rows, h, w }).to(device);
        }
        if (_boxes is not null)
        {
            var rows = new List<float>();
            for (int r = 0; r < b.Rows; r++)
                foreach (var o in _boxes.GetBoxes(b.Samples[r]))
                    rows.AddRange(new[] { r, o.ClassIndex, o.CenterX, o.CenterY, o.Width, o.Height });
            targets[DenseTargetLayout.Boxes] = tensor(rows.ToArray(), new long[] { rows.Count / 6, 6 }).to(device);
        }
        return targets;
    }
}
