using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.Data;

namespace Distill.Cache;

/// <summary>One stored ONNX output: its name, the Parquet column holding it and the per-sample shape.</summary>
public sealed record CacheOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("column")] string Column,
    [property: JsonPropertyName("shape")] int[] Shape);

/// <summary>
/// Everything needed to trust a cache (docs/cache-format.md): which teacher made it, from which data, with which
/// preprocessing. Stored as Parquet key-value metadata under <c>distill.*</c> keys in every part file.
/// </summary>
public sealed record CacheMetadata
{
    public const int CurrentSchemaVersion = 1;
    public const string Prefix = "distill.";

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string TeacherFile { get; init; }
    public required string TeacherSha256 { get; init; }
    public required IReadOnlyList<CacheOutput> Outputs { get; init; }
    public required int ClassCount { get; init; }
    public required string DatasetName { get; init; }
    public required string Split { get; init; }
    public required int DatasetCount { get; init; }
    public required string Fingerprint { get; init; }
    public required int[] SampleShape { get; init; }
    public required Preprocessing Preprocessing { get; init; }
    public required string InputName { get; init; }
    public string OnnxRuntimeVersion { get; init; } = "";
    public string Dtype { get; init; } = "float32";
    /// <summary>K for <c>topk</c> caches, else 0.</summary>
    public int TopK { get; init; }
    public CacheEncoding Encoding => Dtype == "topk" ? CacheEncoding.TopKOf(TopK) : Dtype == "float16" ? CacheEncoding.Float16 : CacheEncoding.Float32;
    public bool HasLabels { get; init; }
    public long Rows { get; init; }
    public string Shard { get; init; } = "1/1";
    public string CommandLine { get; init; } = "";
    public string CreatedUtc { get; init; } = "";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public Dictionary<string, string> ToKeyValues()
    {
        var inv = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            [Prefix + "schema_version"] = SchemaVersion.ToString(inv),
            [Prefix + "teacher.file"] = TeacherFile,
            [Prefix + "teacher.sha256"] = TeacherSha256,
            [Prefix + "outputs"] = JsonSerializer.Serialize(Outputs, Json),
            [Prefix + "class_count"] = ClassCount.ToString(inv),
            [Prefix + "dataset.name"] = DatasetName,
            [Prefix + "dataset.split"] = Split,
            [Prefix + "dataset.count"] = DatasetCount.ToString(inv),
            [Prefix + "dataset.fingerprint"] = Fingerprint,
            [Prefix + "dataset.sample_shape"] = JsonSerializer.Serialize(SampleShape, Json),
            [Prefix + "dataset.has_labels"] = HasLabels ? "true" : "false",
            [Prefix + "preprocessing"] = JsonSerializer.Serialize(new PreprocessingJson(
                Preprocessing.Scale, Preprocessing.Mean, Preprocessing.Std), Json),
            [Prefix + "input_name"] = InputName,
            [Prefix + "onnxruntime.version"] = OnnxRuntimeVersion,
            [Prefix + "dtype"] = Dtype,
            [Prefix + "top_k"] = TopK.ToString(inv),
            [Prefix + "rows"] = Rows.ToString(inv),
            [Prefix + "shard"] = Shard,
            [Prefix + "command_line"] = CommandLine,
            [Prefix + "created_utc"] = CreatedUtc,
        };
    }

    /// <summary>Parses the key-value metadata of a part file; <paramref name="source"/> names it in errors.</summary>
    public static CacheMetadata FromKeyValues(IReadOnlyDictionary<string, string> kv, string source)
    {
        string Get(string key) => kv.TryGetValue(Prefix + key, out var v)
            ? v : throw new DistillException($"{source}: not a logits cache (metadata '{Prefix}{key}' missing)");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i : throw new DistillException($"{source}: metadata '{Prefix}{key}' is not an integer");
        T Parse<T>(string key)
        {
            try { return JsonSerializer.Deserialize<T>(Get(key), Json) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new DistillException($"{source}: metadata '{Prefix}{key}' is invalid ({e.Message})"); }
        }

        int version = Int("schema_version");
        if (version != CurrentSchemaVersion)
            throw new DistillException($"{source}: cache schema version {version}, this build reads {CurrentSchemaVersion}");
        var pre = Parse<PreprocessingJson>("preprocessing");
        return new CacheMetadata
        {
            SchemaVersion = version,
            TeacherFile = Get("teacher.file"),
            TeacherSha256 = Get("teacher.sha256"),
            Outputs = Parse<CacheOutput[]>("outputs"),
            ClassCount = Int("class_count"),
            DatasetName = Get("dataset.name"),
            Split = Get("dataset.split"),
            DatasetCount = Int("dataset.count"),
            Fingerprint = Get("dataset.fingerprint"),
            SampleShape = Parse<int[]>("dataset.sample_shape"),
            HasLabels = kv.TryGetValue(Prefix + "dataset.has_labels", out var hl) && hl == "true",
            Preprocessing = new Preprocessing(pre.Scale, pre.Mean, pre.Std),
            InputName = Get("input_name"),
            OnnxRuntimeVersion = kv.GetValueOrDefault(Prefix + "onnxruntime.version", ""),
            Dtype = Get("dtype") is var dt && dt is "float32" or "float16" or "topk" ? dt
                : throw new DistillException($"{source}: unknown logits dtype '{kv[Prefix + "dtype"]}'"),
            TopK = kv.TryGetValue(Prefix + "top_k", out var tk) && int.TryParse(tk, out var k) ? k : 0,
            Rows = long.Parse(Get("rows"), CultureInfo.InvariantCulture),
            Shard = kv.GetValueOrDefault(Prefix + "shard", "1/1"),
            CommandLine = kv.GetValueOrDefault(Prefix + "command_line", ""),
            CreatedUtc = kv.GetValueOrDefault(Prefix + "created_utc", ""),
        };
    }

    /// <summary>True when two part files describe the same cache (everything but rows, shard and provenance).</summary>
    public bool SameCacheAs(CacheMetadata o) =>
        TeacherSha256 == o.TeacherSha256 && ClassCount == o.ClassCount && DatasetName == o.DatasetName
        && Split == o.Split && DatasetCount == o.DatasetCount && Fingerprint == o.Fingerprint && Dtype == o.Dtype && TopK == o.TopK
        && InputName == o.InputName && SampleShape.SequenceEqual(o.SampleShape)
        && Preprocessing.Scale == o.Preprocessing.Scale && Preprocessing.Mean.SequenceEqual(o.Preprocessing.Mean)
        && Preprocessing.Std.SequenceEqual(o.Preprocessing.Std)
        && Outputs.Select(x => x.Name).SequenceEqual(o.Outputs.Select(x => x.Name));

    private sealed record PreprocessingJson(
        [property: JsonPropertyName("scale")] double Scale,
        [property: JsonPropertyName("mean")] double[] Mean,
        [property: JsonPropertyName("std")] double[] Std);
}
