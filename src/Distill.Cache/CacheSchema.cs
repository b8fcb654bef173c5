using Parquet.Schema;

namespace Distill.Cache;

/// <summary>The Parquet schema of a part file (docs/cache-format.md).</summary>
internal static class CacheSchema
{
    public const string IndexColumn = "index";
    public const string LabelColumn = "label";
    public const string LogitsColumn = "logits";
    public const string ViewColumn = "view";
    public const string PartPattern = "part-*.parquet";
    public const string TempSuffix = ".tmp";

    public static string PartName(int part) => $"part-{part:00000}.parquet";

    public static DataField<long> Index { get; } = new(IndexColumn);
    public static DataField<int> Label { get; } = new(LabelColumn);
    public static DataField<int> View { get; } = new(ViewColumn);
    public static DataField<byte[]> HalfLogits { get; } = new(LogitsColumn);
    public static DataField<double> LogSumExp { get; } = new("logsumexp");
    public static ListField TopIndex() => new("topk_index", new DataField<int>("element"));
    public static ListField TopLogits() => new("topk_logits", new DataField<float>("element"));

    // Standard 3-level LIST<FLOAT> (element "element"), which DuckDB, pyarrow and Spark read as an array.
    public static ListField Logits(string column = LogitsColumn) => new(column, new DataField<float>("element"));

    public static ParquetSchema Create(bool labels, bool views, CacheEncoding encoding)
    {
        var fields = new List<Field> { Index };
        if (labels) fields.Add(Label);
        if (views) fields.Add(View);
        if (encoding.IsTopK) { fields.Add(TopIndex()); fields.Add(TopLogits()); fields.Add(LogSumExp); }
        else if (encoding.Dtype == "float16") fields.Add(HalfLogits);
        else fields.Add(Logits());
        return new ParquetSchema(fields);
    }
}
