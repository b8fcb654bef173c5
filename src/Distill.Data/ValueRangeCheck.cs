using System.Globalization;

namespace Distill.Data;

/// <summary>
/// Catches data that is scaled twice: raw values that already lie in [0, 1] (a float32 .npy saved after ToTensor, a
/// 0/1 mask) fed with scale 1/255 end up in [0, 0.004] and the teacher sees a black image (its top-1 drops to chance).
/// Looks at up to <see cref="SamplesChecked"/> samples spread over the split.
/// </summary>
public static class ValueRangeCheck
{
    public const int SamplesChecked = 256;

    /// <summary>The warning line, or null when the scale is not 1/255 or some sampled value lies outside [0, 1].</summary>
    public static string? Warning(IDataset data, ResolvedPreprocessing pre)
    {
        if (Math.Abs(pre.Value.Scale * 255 - 1) > 1e-6 || data.Count == 0) return null;
        int size = data.SampleSize(), n = Math.Min(SamplesChecked, data.Count);
        var sample = new float[size];
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int k = 0; k < n; k++)
        {
            data.ReadSamples((int)((long)k * data.Count / n), 1, sample);
            foreach (var v in sample)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            if (min < 0 || max > 1) return null;
        }
        if (max == 0) return null;   // all zeros says nothing about the range
        return string.Create(CultureInfo.InvariantCulture,
            $"warning: the raw values of {data.Name} {data.Split} lie in [{min:0.###}, {max:0.###}] ({n} samples checked) but the scale is 1/255 (from {pre.Source}): values already in [0, 1] are divided by 255 again; if they are, give --scale 1");
    }
}
