using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>curves.png: training loss (left axis) and test accuracy (right axis) per epoch, with ScottPlot; written whole (<see cref="AtomicFile"/>).</summary>
public static class CurvePlot
{
    public static void Save(string path, IReadOnlyList<EpochMetrics> history, int width = 800, int height = 500)
    {
        var plt = new ScottPlot.Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var loss = plt.Add.Scatter(epochs, history.Select(h => h.Losses.GetValueOrDefault("loss")).ToArray());
        loss.LegendText = "train loss";
        var withAcc = history.Where(h => h.TestAcc is not null).ToArray();
        if (withAcc.Length > 0)
        {
            var acc = plt.Add.Scatter(withAcc.Select(h => (double)h.Epoch).ToArray(), withAcc.Select(h => h.TestAcc!.Value).ToArray());
            acc.LegendText = "test accuracy";
            acc.Axes.YAxis = plt.Axes.Right;
            plt.Axes.Right.Label.Text = "test accuracy";
        }
        plt.Axes.Bottom.Label.Text = "epoch";
        plt.Axes.Left.Label.Text = "train loss";
        plt.ShowLegend();
        AtomicFile.WriteBytes(path, plt.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));
    }
}
