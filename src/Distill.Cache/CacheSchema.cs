using Distill.Data;
using Parquet;
using Parquet.Schema;

namespace Distill.Cache;

/// <summary>The Parquet schema of a part file (docs/cache-format.md): the row columns, then each output's codec fields.</summary>
public static class CacheSchema
{
    public const string IndexColumn = "index";
    public const string LabelColumn = "label";
    public const string LogitsColumn = "logits";
    public const string ViewColumn = "view";
    public const string CropXColumn = "aug_crop_x";
    public const string CropYColumn = "aug_crop_y";
    public const string FlipColumn = "aug_flip";
    /// <summary>Names an extra output column may not take: the row columns and the logits column's fields in every encoding.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(
        new[] { IndexColumn, LabelColumn, LogitsColumn, ViewColumn, CropXColumn, CropYColumn, FlipColumn }
            .Concat(new TopKCodec(1).Fields(new CacheOutput(LogitsColumn, LogitsColumn, new[] { 1 })).Select(f => f.Name)));
    public const string PartPattern = "part-*.parquet";
    public const string TempSuffix = ".tmp";

    public static string PartName(int part) => $"part-{part:00000}.parquet";

    public static DataField<long> Index { get; } = new(IndexColumn);
    public static DataField<int> Label { get; } = new(LabelColumn);
    public static DataField<int> View { get; } = new(ViewColumn);
    public static DataField<int> CropX { get; } = new(CropXColumn);
    public static DataField<int> CropY { get; } = new(CropYColumn);
    public static DataField<int> Flip { get; } = new(FlipColumn);

    /// <summary>A standard 3-level LIST&lt;FLOAT&gt; (element "element"), which DuckDB, pyarrow and Spark read as an array.</summary>
    public static ListField FloatList(string column) => new(column, new DataField<float>("element"));

    /// <summary>The schema of a part file described by <paramref name="m"/>; two fields of one name are one line.</summary>
    public static ParquetSchema Create(CacheMetadata m)
    {
        var fields = new List<Field> { Index };
        if (m.HasLabels) fields.Add(Label);
        if (m.HasViews) { fields.Add(View); fields.Add(CropX); fields.Add(CropY); fields.Add(Flip); }
        foreach (var (o, codec) in m.Outputs.Zip(m.ColumnCodecs)) fields.AddRange(codec.Fields(o));
        if (fields.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new DistillException($"two stored fields would be named '{twice.Key}': rename an --output");
        return new ParquetSchema(fields);
    }

    /// <summary>
    /// Writer options for <paramref name="m"/>'s files: its compression at an explicit level, DELTA_BINARY_PACKED for the
    /// row columns (consecutive indices cost about nothing, labels and views a few bits), and each codec's own choices.
    /// </summary>
    public static ParquetOptions Options(CacheMetadata m)
    {
        var options = m.Compression.Options();
        foreach (var f in new DataField[] { Index, Label, View, CropX, CropY, Flip })
            options.ColumnEncodingHints[f.Path.ToString()] = EncodingHint.DeltaBinaryPacked;
        foreach (var (o, codec) in m.Outputs.Zip(m.ColumnCodecs)) codec.AddEncodingHints(o, options, m.Compression != CacheCompression.None);
        return options;
    }

    /// <summary>A Parquet-friendly column name for an extra output (letters, digits, '_'), never a reserved one.</summary>
    public static string ColumnFor(string outputName, int teacher)
    {
        var chars = outputName.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '_').ToArray();
        var name = chars.Length == 0 ? "output" : new string(chars);
        if (teacher > 0) name += $"_t{teacher}";
        return Reserved.Contains(name) ? "output_" + name : name;
    }
}
