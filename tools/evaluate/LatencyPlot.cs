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
        plt.Axes.SetLimitsX(low - 0.2, high + 0.2);
        plt.Axes.Bottom.Label.Text = $"latency per image at batch {(batch256 ? 256 : 1)} (µs, log scale; ONNX Runtime, CPU)";
        plt.Axes.Left.Label.Text = "top-1 accuracy";
        plt.Axes.MarginsY(0.25);
        plt.Title("accuracy vs latency");
        plt.ShowLegend(Edge.Bottom);
        return plt;
    }
}
