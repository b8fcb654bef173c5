using Distill.Data;
using Distill.Student.Metrics;
using SkiaSharp;

namespace Distill.Tools.ScenePreview;

/// <summary>
/// The preview sheet: one row per canvas, columns image | labels | teacher | student, each canvas scaled up with its
/// class mask tinted over it (the seg heads' cells at their own resolution) and boxes outlined in the class colour
/// with the class name (and, for predictions, the confidence); a legend of the class colours below.
/// </summary>
internal static class SceneSheet
{
    private const int Scale = 4, Gap = 12, Header = 34, Legend = 56, Margin = 12;

    // Tableau's 10 categorical colours (matplotlib's tab10): one per class, background untinted.
    private static readonly SKColor[] Colors = new[] { 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf }
        .Select(c => new SKColor((byte)(c >> 16), (byte)(c >> 8), (byte)c)).ToArray();

    public static byte[] Draw(LabelledCanvas[] canvases, Prediction[] teacher, Prediction[] student, IReadOnlyList<string> names, double minScore,
        string teacherTitle, string studentTitle)
    {
        int pw = canvases[0].Width * Scale, ph = canvases[0].Height * Scale;
        int width = 2 * Margin + 4 * pw + 3 * Gap, height = Header + canvases.Length * (ph + Gap) + Legend;
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var title = new SKFont(typeface, 15) { Embolden = true };
        using var small = new SKFont(typeface, 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        string[] titles = { "image", "labels", teacherTitle, studentTitle };
        for (int c = 0; c < 4; c++) canvas.DrawText(titles[c], Left(c, pw) + pw / 2f, Header - 11, SKTextAlign.Center, title, ink);

        for (int row = 0; row < canvases.Length; row++)
        {
            var scene = canvases[row];
            float top = Header + row * (ph + Gap);
            using var image = Grey(scene);
            for (int c = 0; c < 4; c++)
            {
                var panel = new SKRect(Left(c, pw), top, Left(c, pw) + pw, top + ph);
                canvas.DrawImage(image, panel, new SKSamplingOptions(SKFilterMode.Nearest));
                if (c == 1)
                {
                    Tint(canvas, panel, scene.Mask, scene.Height, scene.Width);
                    foreach (var b in scene.Boxes) Box(canvas, panel, BoxCorners.Of(b), b.ClassIndex, names[b.ClassIndex], small);
                }
                else if (c >= 2)
                {
                    var p = (c == 2 ? teacher : student)[row];
                    Tint(canvas, panel, p.CellClass, p.Height, p.Width);
                    foreach (var d in p.Boxes.OrderBy(d => d.Score)) Box(canvas, panel, d.Box, d.ClassIndex, $"{names[d.ClassIndex]} {d.Score:0.00}", small);
                }
                using var frame = new SKPaint { Color = SKColors.Gray, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
                canvas.DrawRect(panel, frame);
            }
        }

        // Legend: a swatch per class, then what the boxes show.
        float y = height - Legend + 18, x = Margin;
        for (int k = 0; k < names.Count && k < Colors.Length; k++)
        {
            using var fill = new SKPaint { Color = Colors[k] };
            float w = 16 + 6 + small.MeasureText(names[k]) + 14;
            if (x + w > width - Margin) { x = Margin; y += 20; }
            canvas.DrawRect(x, y - 11, 14, 14, fill);
            canvas.DrawText(names[k], x + 20, y, SKTextAlign.Left, small, ink);
            x += w;
        }
        canvas.DrawText($"masks tinted by class (predictions per seg cell); predicted boxes with confidence ≥ {minScore:0.##} after per-class NMS",
            Margin, height - 8, SKTextAlign.Left, small, ink);
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static float Left(int column, int panelWidth) => Margin + column * (panelWidth + Gap);

    private static SKImage Grey(LabelledCanvas scene)
    {
        var info = new SKImageInfo(scene.Width, scene.Height, SKColorType.Gray8, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, scene.Grey);
    }

    /// <summary>Tints each non-background cell of a class map (h × w over the panel) in its class colour.</summary>
    private static void Tint(SKCanvas canvas, SKRect panel, byte[] classes, int h, int w)
    {
        float cw = panel.Width / w, ch = panel.Height / h;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                int k = classes[i * w + j];
                if (k == 0) continue;
                using var fill = new SKPaint { Color = Colors[(k - 1) % Colors.Length].WithAlpha(110) };
                canvas.DrawRect(panel.Left + j * cw, panel.Top + i * ch, cw, ch, fill);
            }
    }

    /// <summary>A box (normalized corners) outlined in its class colour, its label on a filled tab above it.</summary>
    private static void Box(SKCanvas canvas, SKRect panel, BoxCorners b, int classIndex, string label, SKFont font)
    {
        var color = Colors[classIndex % Colors.Length];
        var r = new SKRect(panel.Left + (float)b.X0 * panel.Width, panel.Top + (float)b.Y0 * panel.Height,
            panel.Left + (float)b.X1 * panel.Width, panel.Top + (float)b.Y1 * panel.Height);
        r.Intersect(panel);
        using var stroke = new SKPaint { Color = color, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
        canvas.DrawRect(r, stroke);
        float tw = font.MeasureText(label) + 6, th = 15;
        float tx = Math.Min(r.Left, panel.Right - tw), ty = r.Top - th < panel.Top ? r.Top : r.Top - th;
        using var tab = new SKPaint { Color = color };
        canvas.DrawRect(tx, ty, tw, th, tab);
        using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
        canvas.DrawText(label, tx + 3, ty + 11.5f, SKTextAlign.Left, font, white);
    }
}
