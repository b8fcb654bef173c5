namespace Distill.Data;

/// <summary>One labelled object: class index and box centre and size, normalized by the image's width and height.</summary>
public readonly record struct ObjectBox(int ClassIndex, float CenterX, float CenterY, float Width, float Height);

/// <summary>Per-pixel class masks beside a dataset's samples (0 = background, 1..K = class index + 1).</summary>
public interface ISegmentationMasks
{
    /// <summary>Values a mask can hold: K object classes plus background.</summary>
    int MaskClassCount { get; }

    /// <summary>Height and width of every mask: the samples' spatial size.</summary>
    (int Height, int Width) MaskSize { get; }

    /// <summary>Copies the masks of samples [start, start+count) row-major into <paramref name="destination"/>
    /// (count × Height × Width class indices).</summary>
    void ReadMasks(int start, int count, Span<byte> destination);
}

/// <summary>Labelled object boxes beside a dataset's samples.</summary>
public interface IObjectBoxes
{
    /// <summary>K: box classes are 0..K-1.</summary>
    int BoxClassCount { get; }

    /// <summary>The objects of sample <paramref name="index"/> (possibly none).</summary>
    IReadOnlyList<ObjectBox> GetBoxes(int index);
}

/// <summary>
/// A dataset whose samples carry dense targets instead of (or besides) one class label: masks for segmentation and
/// boxes for detection, each null when the dataset has none. The student stage uses them for its label losses and
/// metrics; the teacher stage needs only the samples.
/// </summary>
public interface IDenseTargets
{
    ISegmentationMasks? Masks { get; }
    IObjectBoxes? Boxes { get; }
}
