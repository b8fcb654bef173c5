using Distill.Data;

namespace Distill.Tools.ScenePreview;

/// <summary>One canvas as the dataset holds it: grey pixels (the first channel, 0..255), class mask and labelled boxes.</summary>
internal sealed record LabelledCanvas(byte[] Grey, int Height, int Width, byte[] Mask, IReadOnlyList<ObjectBox> Boxes)
{
    /// <summary>The first <paramref name="count"/> canvases of <paramref name="data"/>.</summary>
    public static LabelledCanvas[] First(IDataset data, IDenseTargets dense, int count)
    {
        if (data.SampleShape is not [var channels, var h, var w])
            throw new DistillException($"{data.Name} {data.Split}: samples are [{string.Join(", ", data.SampleShape)}], not images [C, H, W]");
        var (mh, mw) = dense.Masks!.MaskSize;
        var pixels = new float[(long)count * data.SampleSize()];
        data.ReadSamples(0, count, pixels);
        var masks = new byte[count * mh * mw];
        dense.Masks.ReadMasks(0, count, masks);
        return Enumerable.Range(0, count).Select(i => new LabelledCanvas(
            pixels.AsSpan(i * channels * h * w, h * w).ToArray().Select(v => (byte)Math.Clamp(v, 0, 255)).ToArray(), h, w,
            masks.AsSpan(i * mh * mw, mh * mw).ToArray(), dense.Boxes!.GetBoxes(i))).ToArray();
    }
}
