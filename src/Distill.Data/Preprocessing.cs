using System.Globalization;

namespace Distill.Data;

/// <summary>
/// Per-channel normalization as torchvision does it: x = (raw · scale − mean[c]) / std[c], channels first.
/// With scale = 1/255 this is ToTensor() followed by Normalize(mean, std).
/// </summary>
public sealed record Preprocessing(double Scale, double[] Mean, double[] Std)
{
    public static Preprocessing Identity { get; } = new(1.0 / 255.0, new[] { 0.0 }, new[] { 1.0 });

    /// <summary>The raw values unchanged (<c>--no-normalize</c>).</summary>
    public static Preprocessing Raw { get; } = new(1.0, new[] { 0.0 }, new[] { 1.0 });

    /// <summary>Normalizes <paramref name="values"/> in place: whole samples, channels first.</summary>
    /// <remarks>
    /// Computed as raw · (scale/std) + (−mean/std) in float32, vectorized: the hot loop of both stages. It differs from
    /// the double-precision (raw·scale − mean)/std by at most a couple of float32 ulps.
    /// </remarks>
    public void Apply(Span<float> values, int channels)
    {
        if (Mean.Length != 1 && Mean.Length != channels || Std.Length != 1 && Std.Length != channels)
            throw new DistillException($"preprocessing has {Mean.Length} mean / {Std.Length} std values for {channels} channels");
        int plane = values.Length / channels;
        for (int start = 0, c = 0; start < values.Length; start += plane, c = (c + 1) % channels)
        {
            double m = Mean[Mean.Length == 1 ? 0 : c], s = Std[Std.Length == 1 ? 0 : c];
            float a = (float)(Scale / s), b = (float)(-m / s);
            var p = values.Slice(start, plane);
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var va = new System.Numerics.Vector<float>(a);
                var vb = new System.Numerics.Vector<float>(b);
                for (int w = System.Numerics.Vector<float>.Count; i <= p.Length - w; i += w)
                    (new System.Numerics.Vector<float>(p.Slice(i)) * va + vb).CopyTo(p.Slice(i));
            }
            for (; i < p.Length; i++) p[i] = p[i] * a + b;
        }
    }

    /// <summary>
    /// What a raw 0 becomes in each channel (computed exactly as <see cref="Apply"/> does): the fill value for
    /// augmentation applied after preprocessing, equal to padding raw images with zeros before it.
    /// </summary>
    public float[] ValueOfZero(int channels)
    {
        var zero = new float[channels];
        Apply(zero, channels);
        return zero;
    }

    /// <summary>Parses a comma-separated list such as "0.485,0.456,0.406".</summary>
    public static double[] ParseList(string text, string what)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
            if (values.Length == 0) throw new FormatException();
            return values;
        }
        catch (FormatException)
        {
            throw new DistillException($"--{what} expects comma-separated numbers, got '{text}'");
        }
    }

    public override string ToString() =>
        FormattableString.Invariant($"scale={Scale:R} mean=[{string.Join(",", Mean)}] std=[{string.Join(",", Std)}]");
}
