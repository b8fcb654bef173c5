namespace Distill.Student.Tests.Losses;

/// <summary>
/// Plain double-precision implementations written straight from the papers' formulas, row by row, with no tensor
/// library: the independent reference the TorchSharp losses are checked against (as DiffSharp does).
/// </summary>
internal static class ReferenceLosses
{
    private static double[] Row(double[] x, int i, int c) => x.Skip(i * c).Take(c).ToArray();

    private static double LogSumExp(IEnumerable<double> v)
    {
        var a = v.ToArray();
        double m = a.Max();
        return double.IsNegativeInfinity(m) ? m : m + Math.Log(a.Sum(x => Math.Exp(x - m)));
    }

    private static double[] LogSoftmax(double[] z, double t)
    {
        var s = z.Select(x => x / t).ToArray();
        double lse = LogSumExp(s);
        return s.Select(x => x - lse).ToArray();
    }

    private static double Kl(double[] logP, double[] logQ) =>
        logP.Zip(logQ).Sum(pq => Math.Exp(pq.First) == 0 ? 0 : Math.Exp(pq.First) * (pq.First - pq.Second));

    public static double Kd(double[] s, double[] t, int b, int c, double temp) =>
        Enumerable.Range(0, b).Sum(i => Kl(LogSoftmax(Row(t, i, c), temp), LogSoftmax(Row(s, i, c), temp))) / b * temp * temp;

    public static double Dkd(double[] s, double[] t, int[] y, int b, int c, double alpha, double beta, double temp)
    {
        double tckd = 0, nckd = 0;
        for (int i = 0; i < b; i++)
        {
            var ls = LogSoftmax(Row(s, i, c), temp);
            var lt = LogSoftmax(Row(t, i, c), temp);
            var others = Enumerable.Range(0, c).Where(k => k != y[i]).ToArray();
            double lsOther = LogSumExp(others.Select(k => ls[k])), ltOther = LogSumExp(others.Select(k => lt[k]));
            tckd += Kl(new[] { lt[y[i]], ltOther }, new[] { ls[y[i]], lsOther });
            nckd += Kl(others.Select(k => lt[k] - ltOther).ToArray(), others.Select(k => ls[k] - lsOther).ToArray());
        }
        return (alpha * tckd + beta * nckd) * temp * temp / b;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        var ac = a.Select(x => x - ma).ToArray();
        var bc = b.Select(x => x - mb).ToArray();
        double dot = ac.Zip(bc).Sum(p => p.First * p.Second);
        return dot / (Math.Sqrt(ac.Sum(x => x * x)) * Math.Sqrt(bc.Sum(x => x * x)) + 1e-8);
    }

    public static double Dist(double[] s, double[] t, int b, int c, double beta, double gamma, double temp)
    {
        var ps = Enumerable.Range(0, b).Select(i => LogSoftmax(Row(s, i, c), temp).Select(Math.Exp).ToArray()).ToArray();
        var pt = Enumerable.Range(0, b).Select(i => LogSoftmax(Row(t, i, c), temp).Select(Math.Exp).ToArray()).ToArray();
        double inter = 1 - Enumerable.Range(0, b).Average(i => Pearson(ps[i], pt[i]));
        double intra = 1 - Enumerable.Range(0, c).Average(k => Pearson(ps.Select(r => r[k]).ToArray(), pt.Select(r => r[k]).ToArray()));
        return temp * temp * (beta * inter + gamma * intra);
    }

    public static double Adkd(double[] s, double[] t, int[] y, int b, int c, double beta, double offset = 8)
    {
        double sum = 0;
        for (int i = 0; i < b; i++)
        {
            var ls = LogSoftmax(Row(s, i, c), 1);
            var lt = LogSoftmax(Row(t, i, c), 1);
            var z = Row(t, i, c);
            for (int k = 0; k < c; k++) sum += ((z[y[i]] - z[k]) / beta + offset) * Math.Exp(lt[k]) * (lt[k] - ls[k]);
        }
        return sum / b;
    }
}
