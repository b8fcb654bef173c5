using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// A split's class masks decoded once into memory (N × H × W bytes: 80 MB for 20,000 masks of 64×64), so training and
/// evaluation gather them per batch instead of decoding PNG files every epoch.
/// </summary>
public sealed class MasksInMemory : ISegmentationMasks
{
    private readonly byte[] _values;
    private readonly int _count;

    public MasksInMemory(ISegmentationMasks masks, int count)
    {
        (MaskClassCount, MaskSize, _count) = (masks.MaskClassCount, masks.MaskSize, count);
        _values = new byte[(long)count * MaskSize.Height * MaskSize.Width];
        masks.ReadMasks(0, count, _values);
    }

    public int MaskClassCount { get; }
    public (int Height, int Width) MaskSize { get; }
    private int Plane => MaskSize.Height * MaskSize.Width;

    public void ReadMasks(int start, int count, Span<byte> destination)
    {
        if (start < 0 || count < 0 || start + count > _count)
            throw new ArgumentOutOfRangeException(nameof(start), $"masks [{start}, {start + count}) outside [0, {_count})");
        _values.AsSpan(start * Plane, count * Plane).CopyTo(destination);
    }

    /// <summary>The mask of sample <paramref name="index"/> (H × W).</summary>
    public ReadOnlySpan<byte> Mask(int index) => _values.AsSpan(index * Plane, Plane);
}
