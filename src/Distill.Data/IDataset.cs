namespace Distill.Data;

/// <summary>
/// A split of a dataset that both stages read the same way: raw sample values (before preprocessing) in a fixed
/// per-sample shape, optional labels, and a fingerprint of the bytes it was read from.
/// </summary>
public interface IDataset
{
    /// <summary>Dataset name as the user gave it (e.g. "fashion-mnist", "idx:/data/x").</summary>
    string Name { get; }

    /// <summary>"train" or "test".</summary>
    string Split { get; }

    /// <summary>Number of samples in this split.</summary>
    int Count { get; }

    /// <summary>Shape of one sample, channels first (e.g. [1, 28, 28]).</summary>
    int[] SampleShape { get; }

    /// <summary>Number of classes when known from the dataset itself (labels), else null.</summary>
    int? ClassCount { get; }

    bool HasLabels { get; }

    /// <summary>SHA-256 (hex) over the split's sample and label bytes, so a cache can be tied to its data.</summary>
    string Fingerprint { get; }

    /// <summary>
    /// Copies samples [start, start+count) as raw values (e.g. pixels 0..255) into <paramref name="destination"/>,
    /// row-major, <c>count * SampleSize</c> floats.
    /// </summary>
    void ReadSamples(int start, int count, Span<float> destination);

    /// <summary>Label of sample <paramref name="index"/>; throws when the split has no labels.</summary>
    int GetLabel(int index);
}

public static class DatasetExtensions
{
    /// <summary>Number of values in one sample (product of <see cref="IDataset.SampleShape"/>).</summary>
    public static int SampleSize(this IDataset d)
    {
        int n = 1;
        foreach (var s in d.SampleShape) n *= s;
        return n;
    }
}
