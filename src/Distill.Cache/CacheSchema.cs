using Parquet.Schema;

namespace Distill.Cache;

/// <summary>The Parquet schema of a part file (docs/cache-format.md).</summary>
public static class CacheSchema
{
    public const string IndexColumn = "index";
    public const string LabelColumn = "label";
    public const string LogitsColumn = "logits";
    public const string ViewColumn = "view";
    public const string CropXColumn = "aug_crop_x";
    public const string CropYColumn = "aug_crop_y";
    public const string FlipColumn = "aug_flip";
    public const string TopIndexColumn = "topk_index";
    public const string TopLogitsColumn = "topk_logits";
    public const string LogSumExpColumn = "logsumexp";
    /// <summary>Names an extra output column may not take.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>
        { IndexColumn, LabelColumn, LogitsColumn, ViewColumn, CropXColumn, CropYColumn, FlipColumn, TopIndexColumn, TopLogitsColumn, LogSumExpColumn };
    public const string PartPattern = "part-*.parquet";
    public const string TempSuffix = ".tmp";

    public static string PartName(int part) => $"part-{part:00000}.parquet";

    public static DataField<long> Index { get; } = new(IndexColumn);
    public static DataField<int> Label { get; } = new(LabelColumn);
    public static DataField<int> View { get; } = new(ViewColumn);
    public static DataField<int> CropX { get; } = new(CropXColumn);
    public static DataField<int> CropY { get; } = new(CropYColumn);
    public static DataField<int> Flip { get; } = new(FlipColumn);
    public static DataField<byte[]> HalfLogits { get; } = new(LogitsColumn);
    public static DataField<double> LogSumExp { get; } = new(LogSumExpColumn);
    public static ListField TopIndex() => new(TopIndexColumn, new DataField<int>("element"));
    public static ListField TopLogits() => new(TopLogitsColumn, new DataField<float>("element"));

    // Standard 3-level LIST<FLOAT> (element "element"), which DuckDB, pyarrow and Spark read as an array.
    public static ListField Logits(string column = LogitsColumn) => new(column, new DataField<float>("element"));

    /// <summary>The schema of a part file described by <paramref name="m"/>.</summary>
    public static ParquetSchema Create(CacheMetadata m)
    {
        var fields = new List<Field> { Index };
        if (m.HasLabels) fields.Add(Label);
        if (m.HasViews) { fields.Add(View); fields.Add(CropX); fields.Add(CropY); fields.Add(Flip); }
        var encoding = m.Encoding;
        if (encoding.IsTopK) { fields.Add(TopIndex()); fields.Add(TopLogits()); fields.Add(LogSumExp); }
        else if (encoding.Dtype == "float16") fields.Add(HalfLogits);
        else fields.Add(Logits());
        foreach (var extra in m.Outputs.Skip(1)) fields.Add(Logits(extra.Column));
        return new ParquetSchema(fields);
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
