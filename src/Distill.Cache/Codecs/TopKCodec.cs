using System.Text.Json.Nodes;
using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>Exact per-row extras a top-K column keeps besides the K largest logits and the log-sum-exp.</summary>
[Flags]
public enum TopKExtras
{
    None = 0,
    /// <summary>The logit of the row's label (needs labels): DKD's target class is then exact wherever it ranks.</summary>
    LabelLogit = 1,
    /// <summary>The mean and unbiased standard deviation of all C logits: logit standardization is then exact.</summary>
    Moments = 2,
    All = LabelLogit | Moments,
}

/// <summary>
/// <c>topk</c>: per row the K largest logits of class logits [C] (descending, ties by smaller class), their classes, the
/// log-sum-exp of all C logits, and optionally the label's logit and the logits' mean and standard deviation.
/// Fields (prefix "" for the <c>logits</c> column, else "COLUMN_"):
/// <list type="bullet">
/// <item><c>topk_index</c> LIST&lt;INT32&gt;, DELTA_BINARY_PACKED: classes are bit-packed to the width of their
/// differences (about ⌈log2 2C⌉ bits, 11 at C = 1,000), narrower than any fixed integer type. Parquet.Net 6.1 stores
/// the narrow logical types UINT_8/UINT_16 as 4-byte INT32 values under PLAIN and wraps UINT_16 deltas at 16 bits, so
/// INT32 is the narrowest it writes.</item>
/// <item><c>topk_logits</c> LIST&lt;FLOAT&gt; (BYTE_STREAM_SPLIT when compressed), or with float16 values a BYTE_ARRAY
/// of 2·K bytes per row (as <see cref="Float16Codec"/>).</item>
/// <item><c>logsumexp</c> FLOAT (DOUBLE in schema-version-2 caches): log p_c = z_c − logsumexp is exact for stored
/// classes, and the tail mass is 1 − Σ p.</item>
/// <item><c>label_logit</c>, <c>logit_mean</c>, <c>logit_std</c> FLOAT (<see cref="TopKExtras"/>).</item>
/// </list>
/// The dense view a reader gets is <see cref="Reconstruct"/>: the only top-K → dense conversion.
/// </summary>
public sealed class TopKCodec : ColumnCodec
{
    public int K { get; }
    public StoredFloat Values { get; }
    /// <summary>Schema-version-2 caches stored the log-sum-exp as DOUBLE; new caches store FLOAT.</summary>
    public bool DoubleLogSumExp { get; }
    public TopKExtras Extras { get; }

    public TopKCodec(int k, StoredFloat values = StoredFloat.Float32, TopKExtras extras = TopKExtras.All, bool doubleLogSumExp = false)
    {
        if (k < 1) throw new DistillException($"--top-k must be positive, got {k}");
        (K, Values, Extras, DoubleLogSumExp) = (k, values, extras, doubleLogSumExp);
    }

    public override string Name => "topk";

    protected override JsonObject Parameters()
    {
        var extras = new JsonArray();
        if (Extras.HasFlag(TopKExtras.LabelLogit)) extras.Add("label_logit");
        if (Extras.HasFlag(TopKExtras.Moments)) extras.Add("mean_std");
        return new JsonObject
        {
            ["k"] = K, ["values"] = Values.Name(), ["logsumexp"] = DoubleLogSumExp ? "float64" : "float32", ["extras"] = extras,
        };
    }

    public static TopKCodec FromParameters(JsonObject p)
    {
        int k = p["k"] is JsonValue kv && kv.TryGetValue<int>(out var n) ? n : throw new FormatException("'k' is not an integer");
        var values = StoredFloats.TryParse(p["values"]?.GetValue<string>()) ?? throw new FormatException("'values' is neither float32 nor float16");
        bool doubleLse = p["logsumexp"]?.GetValue<string>() switch
        {
            "float32" => false, "float64" => true, var v => throw new FormatException($"'logsumexp' {v ?? "missing"} is neither float32 nor float64"),
        };
        var extras = TopKExtras.None;
        foreach (var e in p["extras"] as JsonArray ?? throw new FormatException("'extras' is not a list"))
            extras |= e?.GetValue<string>() switch
            {
                "label_logit" => TopKExtras.LabelLogit, "mean_std" => TopKExtras.Moments, var x => throw new FormatException($"unknown extra '{x}'"),
            };
        if (k < 1) throw new FormatException($"k {k} is not positive");
        return new TopKCodec(k, values, extras, doubleLse);
    }

    public override string Describe(CacheOutput output)
    {
        var extras = new List<string>();
        if (Extras.HasFlag(TopKExtras.LabelLogit)) extras.Add("label logit");
        if (Extras.HasFlag(TopKExtras.Moments)) extras.Add("mean/std");
        return $"top-{K} {Values.Name()} logits + {(DoubleLogSumExp ? "float64" : "float32")} log-sum-exp{(extras.Count > 0 ? ", " + string.Join(", ", extras) : "")}";
    }

    public override ColumnContent Content(CacheOutput output) => new($"top-{K} {Values.Name()}", output.Width, K,
        Rounded: Values == StoredFloat.Float16, LabelValue: Extras.HasFlag(TopKExtras.LabelLogit), Moments: Extras.HasFlag(TopKExtras.Moments));

    public override string? Problem(CacheOutput output, int classCount) =>
        output.Shape.Length != 1 ? $"--top-k needs class logits [N, C]; output '{output.Name}' is [N,{string.Join(",", output.Shape)}]"
        : K > output.Width ? $"--top-k {K} exceeds the {output.Width} classes of output '{output.Name}'"
        : null;

    /// <summary>The Parquet column names of <paramref name="column"/>'s fields.</summary>
    public static (string Index, string Logits, string LogSumExp, string Label, string Mean, string Std) ColumnNames(string column)
    {
        string p = column == CacheSchema.LogitsColumn ? "" : column + "_";
        return (p + "topk_index", p + "topk_logits", p + "logsumexp", p + "label_logit", p + "logit_mean", p + "logit_std");
    }

    public override IReadOnlyList<Field> Fields(CacheOutput output)
    {
        var n = ColumnNames(output.Column);
        var fields = new List<Field>
        {
            new ListField(n.Index, new DataField<int>("element")),
            Values == StoredFloat.Float16 ? new DataField<byte[]>(n.Logits) : CacheSchema.FloatList(n.Logits),
            DoubleLogSumExp ? new DataField<double>(n.LogSumExp) : new DataField<float>(n.LogSumExp),
        };
        if (Extras.HasFlag(TopKExtras.LabelLogit)) fields.Add(new DataField<float>(n.Label));
        if (Extras.HasFlag(TopKExtras.Moments)) { fields.Add(new DataField<float>(n.Mean)); fields.Add(new DataField<float>(n.Std)); }
        return fields;
    }

    internal override void AddEncodingHints(CacheOutput output, ParquetOptions options, bool compressed)
    {
        foreach (var f in Fields(output))
        {
            var item = f is ListField l ? (DataField)l.Item : (DataField)f;
            if (item.ClrType == typeof(int)) options.ColumnEncodingHints[item.Path.ToString()] = EncodingHint.DeltaBinaryPacked;
            else if (compressed && item.ClrType == typeof(float)) options.ColumnEncodingHints[item.Path.ToString()] = EncodingHint.ByteSplitStream;
        }
    }

    internal override ColumnEncoder CreateEncoder(CacheOutput output, ParquetSchema schema, int rowGroupSize, bool hasLabels)
    {
        if (Extras.HasFlag(TopKExtras.LabelLogit) && !hasLabels) throw new InvalidOperationException("a label logit needs labels");
        return new Encoder(this, output, rowGroupSize);
    }

    internal override ColumnDecoder CreateDecoder(CacheOutput output, ParquetSchema schema, bool hasLabels, int classCount, string file)
    {
        if (Problem(output, classCount) is { } why) throw new DistillException($"{file}: {why}");
        if (Extras.HasFlag(TopKExtras.LabelLogit) && !hasLabels) throw new DistillException($"{file}: a label logit is stored but no labels");
        var n = ColumnNames(output.Column);
        DataField? Float(bool present, string name) => present ? ColumnReadContext.Scalar(schema, name, typeof(float), "FLOAT", file) : null;
        return new Decoder(this, output,
            ColumnReadContext.List(schema, n.Index, typeof(int), "LIST<INT32>", file),
            Values == StoredFloat.Float16 ? ColumnReadContext.Bytes(schema, n.Logits, file) : ColumnReadContext.List(schema, n.Logits, typeof(float), "LIST<FLOAT>", file),
            DoubleLogSumExp ? ColumnReadContext.Scalar(schema, n.LogSumExp, typeof(double), "DOUBLE", file) : ColumnReadContext.Scalar(schema, n.LogSumExp, typeof(float), "FLOAT", file),
            Float(Extras.HasFlag(TopKExtras.LabelLogit), n.Label), Float(Extras.HasFlag(TopKExtras.Moments), n.Mean), Float(Extras.HasFlag(TopKExtras.Moments), n.Std));
    }

    /// <summary>
    /// The dense row [C] a top-K row stands for, in logit units: stored classes keep their logit z_c (the label's class
    /// its exact float32 logit when stored), and the remaining probability mass 1 − Σ_known exp(z_c − lse) is spread
    /// evenly over the n other classes, which get lse + log(tail / n) (the FKD / ReLabel convention; the floor 1e-30 keeps
    /// a numerically empty tail finite). So softmax of the row is exact at T = 1 for every known class and the row's
    /// log-sum-exp is lse; with K = C it is the teacher's row itself. <paramref name="label"/> is −1 without a label logit.
    /// </summary>
    public static void Reconstruct(ReadOnlySpan<int> index, ReadOnlySpan<float> values, double logSumExp, int label, float labelLogit, Span<float> row)
    {
        int k = index.Length;
        bool labelInTop = false;
        double known = 0;
        for (int i = 0; i < k; i++)
        {
            bool isLabel = index[i] == label;
            labelInTop |= isLabel;
            known += Math.Exp((isLabel ? labelLogit : values[i]) - logSumExp);
        }
        bool labelExtra = label >= 0 && !labelInTop;
        if (labelExtra) known += Math.Exp(labelLogit - logSumExp);
        int rest = row.Length - k - (labelExtra ? 1 : 0);
        row.Fill(rest > 0 ? (float)(logSumExp + Math.Log(Math.Max(1 - known, 1e-30) / rest)) : 0f);
        for (int i = 0; i < k; i++) row[index[i]] = values[i];
        if (label >= 0) row[label] = labelLogit;
    }

    private sealed class Encoder : ColumnEncoder
    {
        private readonly TopKCodec _codec;
        private readonly CacheOutput _output;
        private readonly int _k, _width;
        private readonly int[] _index;
        private readonly float[] _values;
        private readonly byte[]? _half;
        private readonly byte[][]? _halfRows;
        private readonly double[] _lse;
        private readonly float[] _lseSingle, _label, _mean, _std;

        public Encoder(TopKCodec codec, CacheOutput output, int rowGroupSize)
        {
            (_codec, _output, _k, _width) = (codec, output, codec.K, output.Width);
            _index = new int[rowGroupSize * _k];
            _values = new float[rowGroupSize * _k];
            if (codec.Values == StoredFloat.Float16)
            {
                _half = new byte[rowGroupSize * 2 * _k];
                _halfRows = Enumerable.Range(0, rowGroupSize).Select(_ => new byte[2 * _k]).ToArray();
            }
            _lse = new double[rowGroupSize];
            _lseSingle = new float[rowGroupSize];
            _label = codec.Extras.HasFlag(TopKExtras.LabelLogit) ? new float[rowGroupSize] : Array.Empty<float>();
            bool moments = codec.Extras.HasFlag(TopKExtras.Moments);
            _mean = moments ? new float[rowGroupSize] : Array.Empty<float>();
            _std = moments ? new float[rowGroupSize] : Array.Empty<float>();
        }

        public override void Add(int at, int n, ReadOnlySpan<float> values, ReadOnlySpan<int> labels, EncodedRows? stored, int storedRow)
        {
            if (stored is TopKRows s && s.Codec.Equals(_codec))
            {
                // Rows read from a cache of this very encoding are stored as they were.
                s.Index.AsSpan(storedRow * _k, n * _k).CopyTo(_index.AsSpan(at * _k));
                s.Values.AsSpan(storedRow * _k, n * _k).CopyTo(_values.AsSpan(at * _k));
                s.LogSumExp.AsSpan(storedRow, n).CopyTo(_lse.AsSpan(at));
                s.LabelLogit?.AsSpan(storedRow, n).CopyTo(_label.AsSpan(at));
                s.Mean?.AsSpan(storedRow, n).CopyTo(_mean.AsSpan(at));
                s.Std?.AsSpan(storedRow, n).CopyTo(_std.AsSpan(at));
            }
            else
                for (int r = 0; r < n; r++)
                {
                    var row = values.Slice(r * _width, _width);
                    int slot = at + r;
                    TopK.Select(row, _index.AsSpan(slot * _k, _k), _values.AsSpan(slot * _k, _k), out _lse[slot]);
                    if (_label.Length > 0) _label[slot] = row[labels[r]];
                    if (_mean.Length > 0)
                    {
                        var (mean, std) = TopK.Moments(row);
                        (_mean[slot], _std[slot]) = ((float)mean, (float)std);
                    }
                }
            if (_half != null) Float16Codec.Encode(_values.AsSpan(at * _k, n * _k), _half.AsSpan(at * 2 * _k), _output.Column);
        }

        public override async Task FlushAsync(ColumnWriteContext w, int rows, CancellationToken ct)
        {
            var n = ColumnNames(_output.Column);
            await w.WriteListsAsync(n.Index, _index, rows, _k, ct);
            if (_half != null) await w.WriteBytesAsync(n.Logits, _half, _halfRows!, rows, 2 * _k);
            else await w.WriteListsAsync(n.Logits, _values, rows, _k, ct);
            if (_codec.DoubleLogSumExp) await w.WriteScalarsAsync(n.LogSumExp, _lse, rows, ct);
            else
            {
                for (int r = 0; r < rows; r++) _lseSingle[r] = (float)_lse[r];
                await w.WriteScalarsAsync(n.LogSumExp, _lseSingle, rows, ct);
            }
            if (_label.Length > 0) await w.WriteScalarsAsync(n.Label, _label, rows, ct);
            if (_mean.Length > 0)
            {
                await w.WriteScalarsAsync(n.Mean, _mean, rows, ct);
                await w.WriteScalarsAsync(n.Std, _std, rows, ct);
            }
        }
    }

    private sealed class Decoder(TopKCodec codec, CacheOutput output, DataField index, DataField values, DataField lse,
        DataField? label, DataField? mean, DataField? std) : ColumnDecoder
    {
        public override async Task<Func<(float[] Values, EncodedRows? Stored)>> ReadAsync(ColumnReadContext r, int rows, int[]? labels, CancellationToken ct)
        {
            int k = codec.K, c = output.Width;
            var names = ColumnNames(output.Column);
            var idx = new int[rows * k];
            await r.ReadFullListsAsync(index, names.Index, idx, k, ct);
            var z = new float[rows * k];
            if (codec.Values == StoredFloat.Float16) Float16Codec.Decode(await r.ReadFixedBytesAsync(values, rows, 2 * k, $"{k} float16 values", ct), z);
            else await r.ReadFullListsAsync(values, names.Logits, z, k, ct);
            var logSumExp = new double[rows];
            if (codec.DoubleLogSumExp) await r.ReadScalarsAsync(lse, logSumExp, ct);
            else
            {
                var single = new float[rows];
                await r.ReadScalarsAsync(lse, single, ct);
                for (int i = 0; i < rows; i++) logSumExp[i] = single[i];
            }
            async Task<float[]?> Floats(DataField? f)
            {
                if (f is null) return null;
                var v = new float[rows];
                await r.ReadScalarsAsync(f, v, ct);
                return v;
            }
            var labelLogit = await Floats(label);
            var rowMean = await Floats(mean);
            var rowStd = await Floats(std);
            return () =>
            {
                Check(r, idx, z, logSumExp, labelLogit, rowMean, rowStd, labels);
                var dense = new float[(long)rows * c];
                for (int i = 0; i < rows; i++)
                    Reconstruct(idx.AsSpan(i * k, k), z.AsSpan(i * k, k), logSumExp[i], labelLogit is null ? -1 : labels![i],
                        labelLogit?[i] ?? 0, dense.AsSpan(i * c, c));
                return (dense, new TopKRows(codec, rows, idx, z, logSumExp, labelLogit, rowMean, rowStd));
            };
        }

        // Classes in [0, C) and each at most once per row; every value finite; std ≥ 0.
        private void Check(ColumnReadContext r, int[] idx, float[] z, double[] lse, float[]? labelLogit, float[]? rowMean, float[]? rowStd, int[]? labels)
        {
            int k = codec.K, c = output.Width;
            var names = ColumnNames(output.Column);
            var seen = new int[c];
            for (int i = 0; i < idx.Length; i++)
            {
                int cls = idx[i], row = i / k;
                if ((uint)cls >= (uint)c) throw r.Corrupt($"holds class {cls} outside [0, {c}) in '{names.Index}'");
                if (seen[cls] == row + 1) throw r.Corrupt($"row {row} lists class {cls} twice in '{names.Index}'");
                seen[cls] = row + 1;
                if (!float.IsFinite(z[i])) throw r.Corrupt($"holds a non-finite value in '{names.Logits}' (row {row})");
            }
            for (int i = 0; i < lse.Length; i++)
            {
                if (!double.IsFinite(lse[i])) throw r.Corrupt($"holds a non-finite value in '{names.LogSumExp}' (row {i})");
                if (labelLogit != null && (!float.IsFinite(labelLogit[i]) || (uint)labels![i] >= (uint)c))
                    throw r.Corrupt($"holds a non-finite label logit or a label outside [0, {c}) (row {i})");
                if (rowMean != null && (!float.IsFinite(rowMean[i]) || !float.IsFinite(rowStd![i]) || rowStd[i] < 0))
                    throw r.Corrupt($"holds an invalid mean or std in '{names.Mean}'/'{names.Std}' (row {i})");
            }
        }
    }
}

/// <summary>
/// The rows of a top-K column as stored: per row K classes and their logits (float16 ones widened), the log-sum-exp,
/// and the extras the codec keeps (null when it does not).
/// </summary>
public sealed class TopKRows(TopKCodec codec, int rows, int[] index, float[] values, double[] logSumExp,
    float[]? labelLogit, float[]? mean, float[]? std) : EncodedRows
{
    public override ColumnCodec Codec => codec;
    public override int Rows => rows;
    public int K => codec.K;
    /// <summary>Rows × K classes, descending logit.</summary>
    public int[] Index => index;
    /// <summary>Rows × K logits.</summary>
    public float[] Values => values;
    public double[] LogSumExp => logSumExp;
    public float[]? LabelLogit => labelLogit;
    public float[]? Mean => mean;
    public float[]? Std => std;
}
