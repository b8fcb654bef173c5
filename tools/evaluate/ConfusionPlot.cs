using ScottPlot;

namespace Distill.Tools.Evaluate;

/// <summary>
/// The confusion matrix as a PNG: true classes top to bottom in class order, predicted left to right, one tick per
/// class at its cell's centre, each cell coloured by its share of the true class (row-normalized, so rare classes are
/// as visible as common ones). Up to <see cref="ConfusionMatrix.MaxTableClasses"/> classes the cells show their counts
/// and the ticks the class names; beyond that it is a heat map with a few class-index ticks.
/// </summary>
internal static class ConfusionPlot
{
    public static Plot Build(ConfusionMatrix cm, string title)
    {
        int c = cm.Classes;
        var share = new double[c, c];
        for (int t = 0; t < c; t++)
        {
            double total = Math.Max(1, cm.RowTotal(t));
            for (int p = 0; p < c; p++) share[t, p] = cm.Counts[t, p] / total;
        }
        var plt = new Plot();
        var hm = plt.Add.Heatmap(share);
        hm.Colormap = new ScottPlot.Colormaps.Blues().Reversed();   // white for none, dark blue for all of a class
        hm.ManualRange = new ScottPlot.Range(0, 1);
        // Row 0 of the array is drawn at the top; cell (t, p) is centred on x = p, y = -t.
        hm.Rectangle = new CoordinateRect(-0.5, c - 0.5, -c + 0.5, 0.5);
        var bar = plt.Add.ColorBar(hm);
        bar.Label = "share of the true class";
        var fractions = new[] { 0, 0.25, 0.5, 0.75, 1 };
        bar.Axis.SetTicks(fractions, fractions.Select(f => $"{f:P0}").ToArray());
        if (c <= ConfusionMatrix.MaxTableClasses)
        {
            for (int t = 0; t < c; t++)
                for (int p = 0; p < c; p++)
                {
                    var text = plt.Add.Text(cm.Counts[t, p].ToString(), p, -t);
                    text.Alignment = Alignment.MiddleCenter;
                    text.LabelFontSize = c <= 10 ? 13 : 10;
                    text.LabelFontColor = share[t, p] > 0.5 ? Colors.White : Colors.Black;
                }
            var ticks = Enumerable.Range(0, c).ToArray();
            plt.Axes.Bottom.SetTicks(ticks.Select(p => (double)p).ToArray(), ticks.Select(p => Short(cm.Name(p))).ToArray());
            plt.Axes.Left.SetTicks(ticks.Select(t => (double)-t).ToArray(), ticks.Select(t => Short(cm.Name(t))).ToArray());
            // Names run up and to the left of their tick; the axis keeps room for the longest (14 characters).
            plt.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plt.Axes.Bottom.TickLabelStyle.OffsetY = 6;
            plt.Axes.Bottom.MinimumSize = 120;
            plt.Axes.Left.MinimumSize = 120;
        }
        else
        {
            var ticks = ClassTicks(c);
            plt.Axes.Bottom.SetTicks(ticks.Select(p => (double)p).ToArray(), ticks.Select(p => p.ToString()).ToArray());
            plt.Axes.Left.SetTicks(ticks.Select(t => (double)-t).ToArray(), ticks.Select(t => t.ToString()).ToArray());
        }
        plt.Axes.SetLimits(-0.5, c - 0.5, -c + 0.5, 0.5);
        plt.Axes.Bottom.Label.Text = c <= ConfusionMatrix.MaxTableClasses ? "predicted class" : "predicted class (index)";
        plt.Axes.Left.Label.Text = c <= ConfusionMatrix.MaxTableClasses ? "true class" : "true class (index)";
        plt.Title(title);
        return plt;
    }

    /// <summary>About ten whole class indices from 0 to C − 1 (steps of 1, 2 or 5 × 10^k).</summary>
    public static int[] ClassTicks(int classes)
    {
        for (long decade = 1; ; decade *= 10)
            foreach (var m in new[] { 1, 2, 5 })
                if ((classes - 1) / (m * decade) <= 10)
                {
                    int step = (int)(m * decade);
                    return Enumerable.Range(0, (classes - 1) / step + 1).Select(i => i * step).ToArray();
                }
    }

    private static string Short(string name) => name.Length <= 14 ? name : name[..13] + "…";
}
