using Distill.Student.Training;
using ScottPlot;
using Distill.Data;

namespace Distill.Student.Output;

/// <summary>
/// curves.png, with ScottPlot: per epoch the training loss and each of its weighted parts (left axis, solid lines),
/// and test accuracy, validation accuracy, agreement with the teacher and any other named test metric (test_miou,
/// test_map50, ...; right axis, 0–1, dashed), whole-number epoch ticks, the legend below the plot where it covers no
/// curve; written whole (<see cref="AtomicFile"/>).
/// </summary>
public static class CurvePlot
{
    /// <summary>"mlp-256-256: 0.1·ce + 0.9·kd, seed 0": what the run trained.</summary>
    public static string Title(Recipe recipe)
    {
        var terms = Terms.Objective.Build(Terms.RecipeTerms.Of(recipe)).Terms
            .Select(t => $"{t.Weight.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}·{t.Name}");
        return $"{recipe.Student}: {string.Join(" + ", terms)}, seed {recipe.Seed}";
    }

    public static void Save(string path, IReadOnlyList<EpochMetrics> history, string title = "training curves", int width = 900, int height = 560)
    {
        var plt = new Plot();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var lossKeys = history.SelectMany(h => h.Losses.Keys).Distinct().ToList();
        foreach (var key in lossKeys)
        {
            var withKey = history.Where(h => h.Losses.ContainsKey(key)).ToArray();
            var line = plt.Add.Scatter(withKey.Select(h => (double)h.Epoch).ToArray(), withKey.Select(h => h.Losses[key]).ToArray());
            line.LegendText = key == "loss" ? "train loss (total)" : $"train {key}";
            line.LineWidth = key == "loss" ? 3 : 1.5f;
        }
        bool anyAccuracy = false;
        void Accuracy(string label, Func<EpochMetrics, double?> value, LinePattern pattern)
        {
            var with = history.Where(h => value(h) is not null).ToArray();
            if (with.Length == 0) return;
            anyAccuracy = true;
            var line = plt.Add.Scatter(with.Select(h => (double)h.Epoch).ToArray(), with.Select(h => value(h)!.Value).ToArray());
            line.LegendText = label;
            line.LinePattern = pattern;
            line.LineWidth = 2;
            line.Axes.YAxis = plt.Axes.Right;
        }
        Accuracy("test accuracy", h => h.TestAcc, LinePattern.Dashed);
        Accuracy("validation accuracy", h => h.ValAcc, LinePattern.Dashed);
        Accuracy("test agreement with teacher", h => h.Agreement, LinePattern.Dotted);
        Accuracy("validation agreement with teacher", h => h.ValAgreement, LinePattern.Dotted);
        foreach (var name in history.SelectMany(h => h.Test.Keys).Distinct().Where(k => !EpochMetrics.Classification.Contains(k)))
            Accuracy(name.Replace('_', ' '), h => h.Test.TryGetValue(name, out var v) ? v : null, LinePattern.Dashed);
        if (anyAccuracy)
        {
            plt.Axes.Right.Label.Text = "test metrics, agreement (dashed, dotted)";
            plt.Axes.SetLimitsY(0, 1, plt.Axes.Right);
        }
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plt.Axes.Bottom.MinorTickStyle.Length = 0;   // no ticks between epochs
        plt.Axes.SetLimitsX(epochs.Min() - 0.25, epochs.Max() + 0.25);
        plt.Axes.Bottom.Label.Text = "epoch";
        plt.Axes.Left.Label.Text = "training loss (solid)";
        plt.Title(title);
        plt.ShowLegend(Edge.Bottom);
        AtomicFile.WriteBytes(path, plt.GetImageBytes(width, height, ImageFormat.Png));
    }
}
