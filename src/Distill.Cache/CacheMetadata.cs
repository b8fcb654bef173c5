using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// One stored ONNX output: its name, the Parquet column holding it, the per-sample shape (stored flattened, row-major)
/// and which teacher of <see cref="CacheMetadata.AllTeachers"/> produced it (-1: the ensemble average).
/// </summary>
public sealed record CacheOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("column")] string Column,
    [property: JsonPropertyName("shape")] int[] Shape,
    [property: JsonPropertyName("teacher")] int Teacher = 0)
{
    /// <summary>Floats per row: the product of <see cref="Shape"/>.</summary>
    [JsonIgnore] public int Width => Shape.Aggregate(1, (a, b) => checked(a * b));
}

/// <summary>A teacher that contributed to a cache: its file name and SHA-256.</summary>
public sealed record TeacherRef(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("sha256")] string Sha256);

/// <summary>
/// Everything needed to trust a cache (docs/cache-format.md): which teacher made it, from which data, with which
/// preprocessing. Stored as Parquet key-value metadata under <c>distill.*</c> keys in every part file.
/// </summary>
public sealed record CacheMetadata
{
    public const int CurrentSchemaVersion = 1;
    /// <summary>How several teachers are stored (<see cref="Ensemble"/>, besides "" for one teacher).</summary>
    public static readonly IReadOnlyList<string> EnsembleModes = new[] { "separate", "mean", "mean-prob" };
    public const string Prefix = "distill.";

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string TeacherFile { get; init; }
    public required string TeacherSha256 { get; init; }
    /// <summary>
    /// Stored outputs; the first is the distillation target in column <c>logits</c> (encoded per <see cref="Dtype"/>),
    /// the others are float32 lists in their own columns.
    /// </summary>
    public required IReadOnlyList<CacheOutput> Outputs { get; init; }
    /// <summary>C: the first output's first per-sample axis (its length for [C] logits, channels for dense maps).</summary>
    public required int ClassCount { get; init; }
    /// <summary>Every teacher, in command-line order; null means the single <see cref="TeacherFile"/>.</summary>
    public IReadOnlyList<TeacherRef>? Teachers { get; init; }
    /// <summary>"" (one teacher), "separate" (each teacher its own columns), "mean" (of logits) or "mean-prob".</summary>
    public string Ensemble { get; init; } = "";
    /// <summary>Augmented views cached per sample (1: none, or one augmented view when <see cref="Augment"/> is set).</summary>
    public int Views { get; init; } = 1;
    /// <summary>Augmentation spec (e.g. "crop:2,flip"), "" when samples are cached as they are.</summary>
    public string Augment { get; init; } = "";
    public int AugmentSeed { get; init; }
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
    /// <summary>The teacher's class names (from its card), index = class; null when the card lists none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>The teacher card's task description, "" when unknown.</summary>
    public string Task { get; init; } = "";
    /// <summary>True when rows carry a view number and augmentation parameters.</summary>
    public bool HasViews => Views > 1 || Augment != "";
    public IReadOnlyList<TeacherRef> AllTeachers => Teachers ?? new[] { new TeacherRef(TeacherFile, TeacherSha256) };
    /// <summary>Floats per row of the <c>logits</c> column (C for logits, C·H·W for a segmentation map, ...).</summary>
    public int Width => Outputs.Count > 0 ? Outputs[0].Width : ClassCount;
    /// <summary>True when the first output is per-sample class logits [C] (what train-student distills from).</summary>
    public bool IsClassifier => Outputs.Count == 0 || Outputs[0].Shape.Length == 1;
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
            [Prefix + "teachers"] = JsonSerializer.Serialize(AllTeachers, Json),
            [Prefix + "ensemble"] = Ensemble,
            [Prefix + "views"] = Views.ToString(inv),
            [Prefix + "augment"] = Augment,
            [Prefix + "augment.seed"] = AugmentSeed.ToString(inv),
            [Prefix + "classes"] = ClassNames is null ? "" : JsonSerializer.Serialize(ClassNames, Json),
            [Prefix + "task"] = Task,
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
        int Optional(string key, int fallback) => kv.ContainsKey(Prefix + key) ? Int(key) : fallback;
        var meta = new CacheMetadata
        {
            SchemaVersion = version,
            TeacherFile = Get("teacher.file"),
            TeacherSha256 = Get("teacher.sha256"),
            Outputs = Parse<CacheOutput[]>("outputs"),
            Teachers = kv.ContainsKey(Prefix + "teachers") ? Parse<TeacherRef[]>("teachers") : null,
            Ensemble = kv.GetValueOrDefault(Prefix + "ensemble", ""),
            Views = Optional("views", 1),
            Augment = kv.GetValueOrDefault(Prefix + "augment", ""),
            AugmentSeed = Optional("augment.seed", 0),
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
            ClassNames = kv.GetValueOrDefault(Prefix + "classes", "") is { Length: > 0 } ? Parse<string[]>("classes") : null,
            Task = kv.GetValueOrDefault(Prefix + "task", ""),
            Rows = long.Parse(Get("rows"), CultureInfo.InvariantCulture),
            Shard = kv.GetValueOrDefault(Prefix + "shard", "1/1"),
            CommandLine = kv.GetValueOrDefault(Prefix + "command_line", ""),
            CreatedUtc = kv.GetValueOrDefault(Prefix + "created_utc", ""),
        };
        meta.CheckConsistent(source);
        return meta;
    }

    // What a reader relies on; a corrupt or hand-edited footer must fail here, not as an index error later.
    private void CheckConsistent(string source)
    {
        if (Outputs.Count == 0) throw new DistillException($"{source}: metadata lists no outputs");
        var columns = new HashSet<string>();
        foreach (var o in Outputs)
        {
            if (o.Shape.Length == 0 || o.Shape.Any(d => d <= 0) || o.Shape.Aggregate(1L, (a, b) => a * b) > 1 << 26)
                throw new DistillException($"{source}: output '{o.Name}' has an invalid shape [{string.Join(",", o.Shape)}]");
            if (!columns.Add(o.Column)) throw new DistillException($"{source}: two outputs share column '{o.Column}'");
            if (o.Teacher < -1 || o.Teacher >= AllTeachers.Count)
                throw new DistillException($"{source}: output '{o.Name}' names teacher {o.Teacher} of {AllTeachers.Count}");
        }
        if (Outputs[0].Column != "logits") throw new DistillException($"{source}: the first output is not stored in 'logits'");
        if (ClassCount != Outputs[0].Shape[0]) throw new DistillException($"{source}: class count {ClassCount} disagrees with output shape [{string.Join(",", Outputs[0].Shape)}]");
        if (ClassNames is not null && IsClassifier && ClassNames.Count != ClassCount)
            throw new DistillException($"{source}: metadata lists {ClassNames.Count} class names for {ClassCount} classes");
        if (Views < 1 || Views > 1024) throw new DistillException($"{source}: invalid views {Views}");
        if (Ensemble != "" && !EnsembleModes.Contains(Ensemble)) throw new DistillException($"{source}: unknown ensemble mode '{Ensemble}'");
    }

    /// <summary>True when two part files describe the same cache (everything but rows, shard and provenance).</summary>
    public bool SameCacheAs(CacheMetadata o) =>
        TeacherSha256 == o.TeacherSha256 && ClassCount == o.ClassCount && DatasetName == o.DatasetName
        && Split == o.Split && DatasetCount == o.DatasetCount && Fingerprint == o.Fingerprint && Dtype == o.Dtype && TopK == o.TopK
        && InputName == o.InputName && SampleShape.SequenceEqual(o.SampleShape)
        && Preprocessing.Scale == o.Preprocessing.Scale && Preprocessing.Mean.SequenceEqual(o.Preprocessing.Mean)
        && Preprocessing.Std.SequenceEqual(o.Preprocessing.Std)
        && Outputs.Select(x => (x.Name, x.Column, x.Teacher, string.Join(",", x.Shape)))
            .SequenceEqual(o.Outputs.Select(x => (x.Name, x.Column, x.Teacher, string.Join(",", x.Shape))))
        && AllTeachers.SequenceEqual(o.AllTeachers) && Ensemble == o.Ensemble
        && Views == o.Views && Augment == o.Augment && AugmentSeed == o.AugmentSeed
        && (ClassNames ?? Array.Empty<string>()).SequenceEqual(o.ClassNames ?? Array.Empty<string>()) && Task == o.Task;

    private sealed record PreprocessingJson(
        [property: JsonPropertyName("scale")] double Scale,
        [property: JsonPropertyName("mean")] double[] Mean,
        [property: JsonPropertyName("std")] double[] Std);
}
