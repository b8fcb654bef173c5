namespace Distill.Cache;

/// <summary>Top-K selection and log-sum-exp of one logit row, for top-k caches.</summary>
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
    /// The dense log-probabilities a top-k row stands for: stored classes exact (z − lse), the remaining mass
    /// spread evenly over the C − K other classes (FKD / ReLabel convention).
    /// </summary>
    public static void Complete(ReadOnlySpan<int> index, ReadOnlySpan<float> values, double logSumExp, Span<float> logProbs)
    {
        int k = index.Length, c = logProbs.Length;
        double kept = 0;
        for (int i = 0; i < k; i++) kept += Math.Exp(values[i] - logSumExp);
        double tail = Math.Max(1 - kept, 0);
        float rest = c > k ? (float)Math.Log(tail / (c - k)) : float.NegativeInfinity;
        logProbs.Fill(rest);
        for (int i = 0; i < k; i++) logProbs[index[i]] = (float)(values[i] - logSumExp);
    }
}
