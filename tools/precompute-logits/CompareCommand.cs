using System.CommandLine;
using Distill.Cache;
using Distill.Data;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>Compares two caches row by row (e.g. a CUDA cache against the CPU one): same rows, max |Δ logit|.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "First cache directory" };
        var b = new Argument<string>("b") { Description = "Second cache directory" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest acceptable |Δ logit|; exit 1 above it", DefaultValueFactory = _ => 1e-4 };
        var cmd = new Command("compare", ToolHelp.Describe("Compare the logits of two caches of the same data (rows, labels, max absolute difference)",
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
            // Row groups may differ between the two; walk both as row streams.
            var ea = x.ReadAllAsync(ct).GetAsyncEnumerator(ct);
            var eb = y.ReadAllAsync(ct).GetAsyncEnumerator(ct);
            LogitBatch? ba = null, bb = null;
            int ia = 0, ib = 0, c = x.Metadata.ClassCount;
            double maxDiff = 0; long worstRow = -1, argmaxDisagree = 0;
            for (long row = 0; row < x.RowCount; row++)
            {
                if (ba == null || ia == ba.Rows) { await ea.MoveNextAsync(); ba = ea.Current; ia = 0; }
                if (bb == null || ib == bb.Rows) { await eb.MoveNextAsync(); bb = eb.Current; ib = 0; }
                if (ba.Index[ia] != bb.Index[ib]) throw new DistillException($"row {row}: index {ba.Index[ia]} vs {bb.Index[ib]}");
                var ra = ba.RowLogits(ia); var rb = bb.RowLogits(ib);
                for (int k = 0; k < c; k++)
                {
                    double d = Math.Abs(ra[k] - rb[k]);
                    if (d > maxDiff) { maxDiff = d; worstRow = ba.Index[ia]; }
                }
                if (LogitBatch.ArgMax(ra) != LogitBatch.ArgMax(rb)) argmaxDisagree++;
                ia++; ib++;
            }
            Console.WriteLine($"rows: {x.RowCount:N0} × {c}; max |Δ logit| = {maxDiff:E3} (sample {worstRow}); top-1 disagreements: {argmaxDisagree}");
            Console.WriteLine($"devices/runtimes: {x.Metadata.OnnxRuntimeVersion} vs {y.Metadata.OnnxRuntimeVersion}");
            bool ok = maxDiff <= r.GetValue(tolerance);
            Console.WriteLine(ok ? $"within tolerance {r.GetValue(tolerance):E1}" : $"EXCEEDS tolerance {r.GetValue(tolerance):E1}");
            return ok ? 0 : 1;
        });
        return cmd;
    }
}
