namespace Distill.Cache;

/// <summary>Per-row statistics a top-K column stores: the K largest logits, the log-sum-exp, the mean and std.</summary>
public static class TopK
{
    /// <summary>
    /// Writes the K largest logits (descending; ties by smaller class index) and their classes, and the
    /// log-sum-exp of the whole row computed stably as max + log Σ exp(z − max) in double precision.
    /// </summary>
    public static void Select(ReadOnlySpan<float> row, Span<int> index, Span<float> values, out double logSumExp)
    {
        int k = index.Length, filled = 0;
        double max = double.NegativeInfinity;
        for (int c = 0; c < row.Length; c++)
        {
            float z = row[c];
            if (z > max) max = z;
            // Insertion into the sorted top list (K is small).
            if (filled < k || z > values[filled - 1])
            {
                int pos = filled < k ? filled++ : k - 1;
                while (pos > 0 && values[pos - 1] < z) { values[pos] = values[pos - 1]; index[pos] = index[pos - 1]; pos--; }
                values[pos] = z; index[pos] = c;
            }
        }
        double sum = 0;
        for (int c = 0; c < row.Length; c++) sum += Math.Exp(row[c] - max);
        logSumExp = max + Math.Log(sum);
    }

    /// <summary>
    /// The row's mean and unbiased standard deviation (divisor C − 1, 0 for one value), in double precision: what logit
    /// standardization (Sun et al. 2024) z-scores with.
    /// </summary>
    public static (double Mean, double Std) Moments(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (var z in row) sum += z;
        double mean = sum / row.Length, squares = 0;
        foreach (var z in row) squares += (z - mean) * (z - mean);
        return (mean, row.Length > 1 ? Math.Sqrt(squares / (row.Length - 1)) : 0);
    }
}
