using Distill.Data;

namespace Distill.Student.Metrics;

/// <summary>An axis-aligned box by its corners, normalized to the image (0..1).</summary>
public readonly record struct BoxCorners(double X0, double Y0, double X1, double Y1)
{
    public double Area => Math.Max(0, X1 - X0) * Math.Max(0, Y1 - Y0);

    public static BoxCorners FromCenter(double cx, double cy, double w, double h) => new(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);

    public static BoxCorners Of(ObjectBox b) => FromCenter(b.CenterX, b.CenterY, b.Width, b.Height);

    /// <summary>Intersection over union; 0 when both are empty.</summary>
    public static double Iou(BoxCorners a, BoxCorners b)
    {
        double iw = Math.Max(0, Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0));
        double ih = Math.Max(0, Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0));
        double inter = iw * ih, union = a.Area + b.Area - inter;
        return union > 0 ? inter / union : 0;
    }
}

/// <summary>One detected object: class, score (confidence) and box.</summary>
public readonly record struct Detection(int ClassIndex, double Score, BoxCorners Box);
