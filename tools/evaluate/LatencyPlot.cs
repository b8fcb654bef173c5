using ScottPlot;

namespace Distill.Tools.Evaluate;

/// <summary>
/// Top-1 against latency per image (batch 256, else batch 1) on a logarithmic axis (a student is often 100× faster),
/// one marker per model, the legend below the plot where it never covers a point.
/// </summary>
internal static class LatencyPlot
{
    public static Plot Build(IReadOnlyList<ModelScore> models)
    {
        var plt = new Plot();
        bool batch256 = models.All(m => !double.IsNaN(m.MicrosPerImageBatch256));
        double Latency(ModelScore m) => Math.Max(batch256 ? m.MicrosPerImageBatch256 : m.MicrosPerImageBatch1, 0.01);
        var shapes = new[] { MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledDiamond, MarkerShape.FilledTriangleUp };
        foreach (var (m, i) in models.Select((m, i) => (m, i)))
        {
            var point = plt.Add.Scatter(new[] { Math.Log10(Latency(m)) }, new[] { m.Top1 });
            point.LegendText = $"{m.Name}: top-1 {m.Top1:F4}, {Latency(m):F1} µs";
            point.MarkerSize = 14;
            point.MarkerShape = shapes[i % shapes.Length];
            point.LineWidth = 0;
        }
        // Ticks at the powers of ten around the points, labelled in µs.
        int low = (int)Math.Floor(models.Min(m => Math.Log10(Latency(m)))), high = (int)Math.Ceiling(models.Max(m => Math.Log10(Latency(m))));
        if (high == low) high++;
        var decades = Enumerable.Range(low, high - low + 1).ToArray();
        plt.Axes.Bottom.SetTicks(decades.Select(d => (double)d).ToArray(), decades.Select(d => Math.Pow(10, d).ToString("0.##")).ToArray());
        // Limits set once, after the points (an autoscale or margin call would fit X to the points and hide the decades);
        // accuracy stays within [0, 1] with some room above and below the points.
        double top = models.Max(m => m.Top1), bottom = models.Min(m => m.Top1);
        double yLow = Math.Max(0, bottom - 0.05), yHigh = Math.Min(1, top + 0.05);
        if (yHigh - yLow < 0.1) (yLow, yHigh) = yLow + 0.1 <= 1 ? (yLow, yLow + 0.1) : (0.9, 1.0);
        plt.Axes.SetLimits(low - 0.2, high + 0.2, yLow - 0.01, yHigh + 0.01);
        plt.Axes.Bottom.Label.Text = $"latency per image at batch {(batch256 ? 256 : 1)} (µs, log scale; ONNX Runtime, CPU)";
        plt.Axes.Left.Label.Text = "top-1 accuracy";
        plt.Title("accuracy vs latency");
        plt.ShowLegend(Edge.Bottom);
        return plt;
    }
}
