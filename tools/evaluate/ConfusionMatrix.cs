using System.Text;

namespace Distill.Tools.Evaluate;

/// <summary>
/// Counts of (true class, predicted class) and how the report shows them: the whole C×C table up to
/// <see cref="MaxTableClasses"/> classes, beyond that the most confused pairs (a 1000×1000 table helps nobody).
/// </summary>
internal sealed class ConfusionMatrix
{
    public const int MaxTableClasses = 20;
    public const int PairsListed = 20;

    public int Classes { get; }
    public long[,] Counts { get; }
    private readonly string[] _names;

    public ConfusionMatrix(int[] labels, int[] predictions, int classes, string[]? names)
    {
        Classes = classes;
        Counts = new long[classes, classes];
        for (int i = 0; i < labels.Length; i++) Counts[labels[i], predictions[i]]++;
        _names = Enumerable.Range(0, classes).Select(c => names is { } a && c < a.Length ? a[c] : c.ToString()).ToArray();
    }

    public string Name(int c) => _names[c];

    public long RowTotal(int trueClass)
    {
        long n = 0;
        for (int p = 0; p < Classes; p++) n += Counts[trueClass, p];
        return n;
    }

    /// <summary>Off-diagonal cells, largest count first (ties: by true class, then predicted).</summary>
    public IEnumerable<(int True, int Predicted, long Count)> MostConfused() =>
        from t in Enumerable.Range(0, Classes)
        from p in Enumerable.Range(0, Classes)
        where t != p && Counts[t, p] > 0
        orderby Counts[t, p] descending, t, p
        select (t, p, Counts[t, p]);

    /// <summary>The Markdown section: the table, or the most confused pairs with their share of the true class.</summary>
    public string Markdown(string who)
    {
        var md = new StringBuilder();
        if (Classes <= MaxTableClasses)
        {
            md.AppendLine($"{who} confusion matrix (rows: true class, columns: predicted):\n");
            md.AppendLine("| | " + string.Join(" | ", Enumerable.Range(0, Classes).Select(Name)) + " |");
            md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", Classes)));
            for (int t = 0; t < Classes; t++)
                md.AppendLine($"| {Name(t)} | " + string.Join(" | ", Enumerable.Range(0, Classes).Select(p => Counts[t, p])) + " |");
            return md.ToString();
        }
        var pairs = MostConfused().Take(PairsListed).ToList();
        md.AppendLine($"{who}'s {pairs.Count} most confused pairs of its {Classes} classes (the plot shows the whole matrix):\n");
        md.AppendLine("| true class | predicted as | images | share of the true class |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (t, p, n) in pairs)
            md.AppendLine($"| {Name(t)} | {Name(p)} | {n} | {n / (double)Math.Max(1, RowTotal(t)):P1} |");
        return md.ToString();
    }
}
