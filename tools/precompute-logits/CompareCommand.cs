using System.CommandLine;
using Distill.Cache;
using Distill.Data;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// Compares two caches of the same data row by row (e.g. a CUDA cache against the CPU one): max |Δ logit| and top-1
/// disagreements. When either stores top-K logits, raw logits of the tail are not known, so the two are compared in
/// log-probability space (z − log-sum-exp, exact for stored classes) over the classes stored on both sides.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "First cache directory" };
        var b = new Argument<string>("b") { Description = "Second cache directory" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest acceptable difference (|Δ logit|, or |Δ log p| with a top-K cache); exit 1 above it", DefaultValueFactory = _ => 1e-4 };
        var cmd = new Command("compare", ToolHelp.Describe("Compare the logits of two caches of the same data (rows, labels, max absolute difference; log-probabilities over the stored classes when one is top-K)",
            "precompute-logits compare caches/fmnist-test-cuda caches/fmnist-test"));
        cmd.Arguments.Add(a);
        cmd.Arguments.Add(b);
        cmd.Options.Add(tolerance);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            if (r.GetValue(tolerance) is var tol && (!double.IsFinite(tol) || tol < 0))
                throw new DistillException($"--tolerance must be a finite number ≥ 0, got {tol}");
            using var x = await LogitCacheReader.OpenAsync(r.GetValue(a)!, ct);
            using var y = await LogitCacheReader.OpenAsync(r.GetValue(b)!, ct);
            if (x.RowCount != y.RowCount || x.Metadata.ClassCount != y.Metadata.ClassCount || x.Metadata.Fingerprint != y.Metadata.Fingerprint)
                throw new DistillException($"the caches differ in shape or data: {x.RowCount}×{x.Metadata.ClassCount} vs {y.RowCount}×{y.Metadata.ClassCount}");
            bool topK = !x.Metadata.LogitsCodec.Content(x.Metadata.Outputs[0]).Complete || !y.Metadata.LogitsCodec.Content(y.Metadata.Outputs[0]).Complete;
            if (topK && !x.Metadata.IsClassifier) throw new DistillException("a top-K cache can only be compared with a cache of class logits");
            // Row groups may differ between the two; walk both as row streams.
            var ea = x.ReadAllAsync(ct).GetAsyncEnumerator(ct);
            var eb = y.ReadAllAsync(ct).GetAsyncEnumerator(ct);
            LogitBatch? ba = null, bb = null;
            int ia = 0, ib = 0, c = x.Metadata.ClassCount, w = x.Metadata.Width;
            double maxDiff = 0; long worstRow = -1, argmaxDisagree = 0, compared = 0;
            var (pa, pb) = (new double[c], new double[c]);
            for (long row = 0; row < x.RowCount; row++)
            {
                if (ba == null || ia == ba.Rows) { await ea.MoveNextAsync(); ba = ea.Current; ia = 0; }
                if (bb == null || ib == bb.Rows) { await eb.MoveNextAsync(); bb = eb.Current; ib = 0; }
                if (ba.Index[ia] != bb.Index[ib]) throw new DistillException($"row {row}: index {ba.Index[ia]} vs {bb.Index[ib]}");
                if (topK)
                {
                    LogProbabilities(ba, ia, pa);
                    LogProbabilities(bb, ib, pb);
                    for (int k = 0; k < c; k++)
                    {
                        if (double.IsNaN(pa[k]) || double.IsNaN(pb[k])) continue;
                        compared++;
                        double d = Math.Abs(pa[k] - pb[k]);
                        if (d > maxDiff) { maxDiff = d; worstRow = ba.Index[ia]; }
                    }
                }
                else
                {
                    ReadOnlySpan<float> ra = ba.RowLogits(ia), rb = bb.RowLogits(ib);
                    for (int k = 0; k < w; k++)
                    {
                        double d = Math.Abs(ra[k] - rb[k]);
                        if (d > maxDiff) { maxDiff = d; worstRow = ba.Index[ia]; }
                    }
                }
                if (LogitBatch.ArgMax(ba.RowLogits(ia)) != LogitBatch.ArgMax(bb.RowLogits(ib))) argmaxDisagree++;
                ia++; ib++;
            }
            Console.WriteLine(topK
                ? $"rows: {x.RowCount:N0} × {c}; a top-K cache: compared in log-probability space over the classes both store ({(double)compared / Math.Max(1, x.RowCount):F1} per row); max |Δ log p| = {maxDiff:E3} (sample {worstRow}); top-1 disagreements: {argmaxDisagree}"
                : $"rows: {x.RowCount:N0} × {w}; max |Δ logit| = {maxDiff:E3} (sample {worstRow}); top-1 disagreements: {argmaxDisagree}");
            Console.WriteLine($"encodings: {x.Metadata.LogitsCodec.Describe(x.Metadata.Outputs[0])} vs {y.Metadata.LogitsCodec.Describe(y.Metadata.Outputs[0])}; devices/runtimes: {x.Metadata.OnnxRuntimeVersion} vs {y.Metadata.OnnxRuntimeVersion}");
            bool ok = maxDiff <= r.GetValue(tolerance);
            Console.WriteLine(ok ? $"within tolerance {r.GetValue(tolerance):E1}" : $"EXCEEDS tolerance {r.GetValue(tolerance):E1}");
            return ok ? 0 : 1;
        });
        return cmd;
    }

    // log p_c = z_c − logsumexp for the classes a row stores exactly (NaN for the others): a top-K row's classes and
    // its label when its logit is kept, every class of a dense row.
    private static void LogProbabilities(LogitBatch b, int row, double[] logp)
    {
        if (b.EncodedColumn(0) is TopKRows t)
        {
            Array.Fill(logp, double.NaN);
            double lse = t.LogSumExp[row];
            for (int i = 0; i < t.K; i++) logp[t.Index[row * t.K + i]] = t.Values[row * t.K + i] - lse;
            if (t.LabelLogit is { } label) logp[b.Labels![row]] = label[row] - lse;
            return;
        }
        var z = b.RowLogits(row);
        double max = double.NegativeInfinity, sum = 0;
        foreach (var v in z) max = Math.Max(max, v);
        foreach (var v in z) sum += Math.Exp(v - max);
        double logSumExp = max + Math.Log(sum);
        for (int k = 0; k < z.Length; k++) logp[k] = z[k] - logSumExp;
    }
}
