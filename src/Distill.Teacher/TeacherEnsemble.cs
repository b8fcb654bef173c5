using Distill.Cache;
using Distill.Data;

namespace Distill.Teacher;

/// <summary>
/// The teachers of one run and how their outputs become cache columns. One teacher: its outputs, the first in
/// <c>logits</c>. Several teachers: each teacher's outputs in their own columns (<c>separate</c>, teacher 0's first
/// output in <c>logits</c>, teacher t's in <c>logits_t{t}</c>), or one averaged output in <c>logits</c>:
/// <c>mean</c> averages logits, <c>mean-prob</c> averages probabilities and stores log of the mean (a valid logit vector:
/// its softmax is the averaged distribution), computed as logsumexp_t(log_softmax(z_t)) − log T.
/// </summary>
public sealed class TeacherEnsemble : IDisposable
{
    public IReadOnlyList<TeacherModel> Teachers { get; }
    /// <summary>"" (one teacher), "separate", "mean" or "mean-prob".</summary>
    public string Mode { get; }
    /// <summary>What the cache stores, in column order (first: <c>logits</c>).</summary>
    public IReadOnlyList<CacheOutput> Outputs { get; }
    /// <summary>Batch size every teacher was exported with, or null when all batch axes are dynamic.</summary>
    public int? FixedBatch { get; }
    public int ClassCount => Outputs[0].Shape[0];
    public bool IsAveraged => Mode is "mean" or "mean-prob";

    private TeacherEnsemble(IReadOnlyList<TeacherModel> teachers, string mode, IReadOnlyList<CacheOutput> outputs, int? fixedBatch)
    {
        Teachers = teachers; Mode = mode; Outputs = outputs; FixedBatch = fixedBatch;
    }

    public static IReadOnlyList<string> Modes => CacheMetadata.EnsembleModes;

    /// <summary>Opens every teacher (disposing those opened when a later one fails) and checks they fit together.</summary>
    public static TeacherEnsemble Open(IReadOnlyList<string> paths, string? mode, int[] sampleShape, string? input,
        IReadOnlyList<string>? outputs, ExecutionDevice device, int threads, Action<string> warn)
    {
        if (paths.Count == 0) throw new DistillException("no --teacher given");
        mode ??= paths.Count > 1 ? "separate" : "";
        if (paths.Count == 1 && mode != "") throw new DistillException($"--ensemble {mode} needs several --teacher models");
        if (paths.Count > 1 && !Modes.Contains(mode))
            throw new DistillException($"--ensemble expects {string.Join(", ", Modes)}, got '{mode}'");
        var teachers = new List<TeacherModel>();
        try
        {
            foreach (var path in paths) teachers.Add(TeacherModel.Open(path, sampleShape, input, outputs, device, threads, warn));
            return Build(teachers, mode);
        }
        catch
        {
            foreach (var t in teachers) t.Dispose();
            throw;
        }
    }

    private static TeacherEnsemble Build(List<TeacherModel> teachers, string mode)
    {
        var first = teachers[0];
        foreach (var t in teachers.Skip(1))
        {
            var a = first.OutputShapes[0];
            var b = t.OutputShapes[0];
            if (a.Length == 1 && b.Length == 1 && a[0] != b[0])
                throw new DistillException($"teachers disagree on the class count: {first.FileName} outputs {a[0]} classes, {t.FileName} outputs {b[0]}");
            if (!a.SequenceEqual(b))
                throw new DistillException($"teachers disagree on the output shape: {first.FileName} [{string.Join(",", a)}], {t.FileName} [{string.Join(",", b)}]");
        }
        var batches = teachers.Where(t => t.FixedBatch != null).Select(t => t.FixedBatch!.Value).Distinct().ToList();
        if (batches.Count > 1) throw new DistillException($"teachers were exported with different fixed batch sizes ({string.Join(", ", batches)})");
        if (teachers.Count > 1 && teachers.Select(t => t.Sha256).Distinct().Count() < teachers.Count)
            throw new DistillException("the same teacher file is given twice");

        var outputs = new List<CacheOutput>();
        if (mode is "mean" or "mean-prob")
        {
            if (first.OutputNames.Count > 1)
                throw new DistillException($"--ensemble {mode} averages one output; give a single --output");
            if (mode == "mean-prob" && first.OutputShapes[0].Length != 1)
                throw new DistillException("--ensemble mean-prob averages class probabilities and needs [N, C] logits");
            outputs.Add(new CacheOutput(first.OutputName, CacheSchema.LogitsColumn, first.OutputShapes[0], -1));
        }
        else
        {
            var used = new HashSet<string>();
            for (int t = 0; t < teachers.Count; t++)
                for (int o = 0; o < teachers[t].OutputNames.Count; o++)
                {
                    string column = (t, o) switch
                    {
                        (0, 0) => CacheSchema.LogitsColumn,
                        (_, 0) => $"{CacheSchema.LogitsColumn}_t{t}",
                        _ => CacheSchema.ColumnFor(teachers[t].OutputNames[o], t),
                    };
                    for (int n = 2; !used.Add(column); n++) column = $"{column}_{n}";
                    outputs.Add(new CacheOutput(teachers[t].OutputNames[o], column, teachers[t].OutputShapes[o], t));
                }
        }
        return new TeacherEnsemble(teachers, mode, outputs, batches.Count == 1 ? batches[0] : null);
    }

    /// <summary>
    /// The stored columns of <paramref name="rows"/> rows from each teacher's raw outputs (<c>raw[t][o]</c>, row-major):
    /// the raw arrays themselves unless averaged, in which case <paramref name="averaged"/> is filled and returned.
    /// </summary>
    public IReadOnlyList<float[]> Columns(float[][][] raw, int rows, float[] averaged)
    {
        if (!IsAveraged) return raw.SelectMany(t => t).ToArray();
        int width = Outputs[0].Width, n = rows * width, count = raw.Length;
        var span = averaged.AsSpan(0, n);
        if (Mode == "mean")
        {
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int t = 0; t < count; t++) sum += raw[t][0][i];
                span[i] = (float)(sum / count);
            }
        }
        else
        {
            // log mean_t softmax(z_t) = logsumexp_t(z_t − lse(z_t)) − log T, in double, never log(softmax).
            var lse = new double[count];
            for (int r = 0; r < rows; r++)
            {
                for (int t = 0; t < count; t++) lse[t] = LogSumExp(raw[t][0].AsSpan(r * width, width));
                for (int c = 0; c < width; c++)
                {
                    double max = double.NegativeInfinity;
                    for (int t = 0; t < count; t++) max = Math.Max(max, raw[t][0][r * width + c] - lse[t]);
                    double sum = 0;
                    for (int t = 0; t < count; t++) sum += Math.Exp(raw[t][0][r * width + c] - lse[t] - max);
                    span[r * width + c] = (float)(max + Math.Log(sum) - Math.Log(count));
                }
            }
        }
        return new[] { averaged };
    }

    private static double LogSumExp(ReadOnlySpan<float> z)
    {
        double max = double.NegativeInfinity;
        foreach (var v in z) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in z) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    public void Dispose()
    {
        foreach (var t in Teachers) t.Dispose();
    }
}
