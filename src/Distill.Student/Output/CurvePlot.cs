using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>
/// curves.png: training loss (left axis) and each test metric (right axis: test_acc, agreement, test_miou, test_map50,
/// ...) per epoch, with ScottPlot; written whole (<see cref="AtomicFile"/>).
/// </summary>
public static class CurvePlot
{
    public static void Save(string path, IReadOnlyList<EpochMetrics> history, int width = 800, int height = 500)
    {
        var plt = new ScottPlot.Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var loss = plt.Add.Scatter(epochs, history.Select(h => h.Losses.GetValueOrDefault("loss")).ToArray());
        loss.LegendText = "train loss";
        foreach (var name in history.SelectMany(h => h.Test.Keys).Distinct())
        {
            var with = history.Where(h => h.Test.ContainsKey(name)).ToArray();
            var series = plt.Add.Scatter(with.Select(h => (double)h.Epoch).ToArray(), with.Select(h => h.Test[name]).ToArray());
            series.LegendText = name == "test_acc" ? "test accuracy" : name;
            series.Axes.YAxis = plt.Axes.Right;
            plt.Axes.Right.Label.Text = "test";
        }
        plt.Axes.Bottom.Label.Text = "epoch";
        plt.Axes.Left.Label.Text = "train loss";
        plt.ShowLegend();
        AtomicFile.WriteBytes(path, plt.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));
    }
}
