using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    /// <summary>
    /// 3: an encoding per output (codecs), compression, DELTA/BYTE_STREAM_SPLIT pages; 2 (still read): sample ranges,
    /// limit and checksums, one <c>distill.dtype</c> for the logits column (version 1 caches are refused: recompute them).
    /// </summary>
    public const int CurrentSchemaVersion = 3;
    /// <summary>The oldest version this build reads.</summary>
    public const int OldestReadableSchemaVersion = 2;
    /// <summary>How several teachers are stored (<see cref="Ensemble"/>, besides "" for one teacher).</summary>
    public static readonly IReadOnlyList<string> EnsembleModes = new[] { "separate", "mean", "mean-prob" };
    public const string Prefix = "distill.";

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string TeacherFile { get; init; }
    public required string TeacherSha256 { get; init; }
    /// <summary>Stored outputs; the first is the distillation target in column <c>logits</c>, the others in their own columns.</summary>
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
    /// <summary>How each output is stored, in <see cref="Outputs"/> order; null: every output float32.</summary>
    public IReadOnlyList<ColumnCodec>? Codecs { get; init; }
    /// <summary><see cref="Codecs"/>, or float32 for every output when none are given.</summary>
    public IReadOnlyList<ColumnCodec> ColumnCodecs => Codecs ?? Outputs.Select(_ => (ColumnCodec)Float32Codec.Instance).ToArray();
    /// <summary>The codec of the <c>logits</c> column.</summary>
    public ColumnCodec LogitsCodec => ColumnCodecs[0];
    /// <summary>Page compression of the part files.</summary>
    public CacheCompression Compression { get; init; }
    public bool HasLabels { get; init; }
    /// <summary>The teacher's class names (from its card), index = class; null when the card lists none.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>The teacher card's task description, "" when unknown.</summary>
    public string Task { get; init; } = "";
    /// <summary>
    /// YOLO-style detection outputs by column: their anchors and grid (<see cref="DetectionHead"/>), from the first
    /// teacher's card; null when none. The student stage builds, trains and decodes detection heads from it.
    /// </summary>
    public IReadOnlyDictionary<string, DetectionHead>? Detection { get; init; }
    /// <summary>True when rows carry a view number and augmentation parameters.</summary>
    public bool HasViews => Views > 1 || Augment != "";
    public IReadOnlyList<TeacherRef> AllTeachers => Teachers ?? new[] { new TeacherRef(TeacherFile, TeacherSha256) };
    /// <summary>Floats per row of the <c>logits</c> column (C for logits, C·H·W for a segmentation map, ...).</summary>
    public int Width => Outputs.Count > 0 ? Outputs[0].Width : ClassCount;
    /// <summary>True when the first output is per-sample class logits [C] (what train-student distills from).</summary>
    public bool IsClassifier => Outputs.Count == 0 || Outputs[0].Shape.Length == 1;
    public long Rows { get; init; }
    public string Shard { get; init; } = "1/1";
    /// <summary>
    /// The <c>--limit</c> the cache was made for: the first <see cref="Limit"/> samples of the split, 0 for all of
    /// them (a limit at or above the split's size is stored as 0).
    /// </summary>
    public int Limit { get; init; }
    /// <summary>Samples the whole cache covers: [0, TotalSamples).</summary>
    public int TotalSamples => Limit > 0 ? Limit : DatasetCount;
    public ShardSpec ShardSpec => ShardSpec.TryParse(Shard) ?? throw new InvalidOperationException($"invalid shard '{Shard}'");
    /// <summary>Samples [First, End) this part covers: its shard's slice of <see cref="TotalSamples"/>.</summary>
    public (int First, int End) SampleRange => ShardSpec.Range(TotalSamples);
    /// <summary>Rows [First, End) this part covers; rows are numbered sample × views + view.</summary>
    public (long First, long End) RowRange => ((long)SampleRange.First * Views, (long)SampleRange.End * Views);
    public string CommandLine { get; init; } = "";
    public string CreatedUtc { get; init; } = "";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public const string ChecksumsKey = Prefix + "checksums";
    public const string MetadataChecksumKey = Prefix + "metadata_crc32c";

    /// <summary>
    /// The part file's key-value metadata: every field, the row groups' <paramref name="checksums"/> when given, and
    /// <c>distill.metadata_crc32c</c> over all of it.
    /// </summary>
    public Dictionary<string, string> ToKeyValues(RowGroupChecksums? checksums = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var (first, end) = SampleRange;
        var kv = new Dictionary<string, string>
        {
            [Prefix + "schema_version"] = SchemaVersion.ToString(inv),
            [Prefix + "teacher.file"] = TeacherFile,
            [Prefix + "teacher.sha256"] = TeacherSha256,
            [Prefix + "outputs"] = OutputsJson(),
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
            [Prefix + "compression"] = Compression.Name(),
            [Prefix + "teachers"] = JsonSerializer.Serialize(AllTeachers, Json),
            [Prefix + "ensemble"] = Ensemble,
            [Prefix + "views"] = Views.ToString(inv),
            [Prefix + "augment"] = Augment,
            [Prefix + "augment.seed"] = AugmentSeed.ToString(inv),
            [Prefix + "classes"] = ClassNames is null ? "" : JsonSerializer.Serialize(ClassNames, Json),
            [Prefix + "task"] = Task,
            [Prefix + "rows"] = Rows.ToString(inv),
            [Prefix + "shard"] = Shard,
            [Prefix + "limit"] = Limit.ToString(inv),
            [Prefix + "samples.first"] = first.ToString(inv),
            [Prefix + "samples.end"] = end.ToString(inv),
            [Prefix + "command_line"] = CommandLine,
            [Prefix + "created_utc"] = CreatedUtc,
        };
        if (Detection is not null) kv[Prefix + "detection"] = JsonSerializer.Serialize(Detection, Json);
        if (checksums != null) kv[ChecksumsKey] = checksums.ToJson();
        kv[MetadataChecksumKey] = MetadataChecksum(kv);
        return kv;
    }

    // Each output's entry with its codec's "encoding" (name and parameters).
    private string OutputsJson()
    {
        var array = new JsonArray();
        foreach (var (o, codec) in Outputs.Zip(ColumnCodecs))
        {
            var entry = JsonSerializer.SerializeToNode(o, Json)!.AsObject();
            entry["encoding"] = codec.ToJson();
            array.Add(entry);
        }
        return array.ToJsonString();
    }

    /// <summary>
    /// CRC-32C (8 lowercase hex digits) of every <c>distill.*</c> pair but the checksum itself, sorted by key
    /// (ordinal), each as UTF-8 key, a 0 byte, UTF-8 value, a 0 byte.
    /// </summary>
    public static string MetadataChecksum(IReadOnlyDictionary<string, string> kv)
    {
        uint crc = 0;
        byte[] zero = { 0 };
        foreach (var (key, value) in kv.Where(p => p.Key.StartsWith(Prefix, StringComparison.Ordinal) && p.Key != MetadataChecksumKey)
                     .OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            crc = Crc32C.Append(Crc32C.Append(crc, System.Text.Encoding.UTF8.GetBytes(key)), zero);
            crc = Crc32C.Append(Crc32C.Append(crc, System.Text.Encoding.UTF8.GetBytes(value)), zero);
        }
        return crc.ToString("x8", CultureInfo.InvariantCulture);
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
        if (version < OldestReadableSchemaVersion)
            throw new DistillException($"{source}: cache schema version {version} (made before caches recorded their row ranges and checksums); this build reads versions {OldestReadableSchemaVersion} to {CurrentSchemaVersion}: recompute the cache with precompute-logits --overwrite");
        if (version > CurrentSchemaVersion)
            throw new DistillException($"{source}: cache schema version {version} is newer than this build reads ({CurrentSchemaVersion}); update the toolkit");
        if (!kv.TryGetValue(MetadataChecksumKey, out var recorded))
            throw new DistillException($"{source}: not a logits cache (metadata '{MetadataChecksumKey}' missing)");
        if (recorded != MetadataChecksum(kv))
            throw new DistillException($"{source}: the metadata does not match its checksum ({MetadataChecksumKey}): the file was edited or is corrupt");
        var pre = Parse<PreprocessingJson>("preprocessing");
        int Optional(string key, int fallback) => kv.ContainsKey(Prefix + key) ? Int(key) : fallback;
        var (outputs, codecs) = version >= 3 ? ParseOutputs(Get("outputs"), source) : LegacyOutputs(Parse<CacheOutput[]>("outputs"), kv, source);
        var meta = new CacheMetadata
        {
            SchemaVersion = version,
            TeacherFile = Get("teacher.file"),
            TeacherSha256 = Get("teacher.sha256"),
            Outputs = outputs,
            Codecs = codecs,
            Compression = version >= 3 ? CacheCompressions.TryParse(Get("compression"))
                ?? throw new DistillException($"{source}: unknown compression '{Get("compression")}'") : CacheCompression.None,
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
            ClassNames = kv.GetValueOrDefault(Prefix + "classes", "") is { Length: > 0 } ? Parse<string[]>("classes") : null,
            Task = kv.GetValueOrDefault(Prefix + "task", ""),
            Detection = kv.ContainsKey(Prefix + "detection") ? Parse<Dictionary<string, DetectionHead>>("detection") : null,
            Rows = long.TryParse(Get("rows"), NumberStyles.None, CultureInfo.InvariantCulture, out var rows) ? rows
                : throw new DistillException($"{source}: metadata '{Prefix}rows' is not a row count"),
            Shard = Get("shard") is var sh && ShardSpec.TryParse(sh) != null ? sh
                : throw new DistillException($"{source}: metadata '{Prefix}shard' is not k/n"),
            Limit = Int("limit"),
            CommandLine = kv.GetValueOrDefault(Prefix + "command_line", ""),
            CreatedUtc = kv.GetValueOrDefault(Prefix + "created_utc", ""),
        };
        meta.CheckConsistent(source);
        var (first, end) = meta.SampleRange;
        if (Int("samples.first") != first || Int("samples.end") != end)
            throw new DistillException($"{source}: metadata says it covers samples {Get("samples.first")}..{Get("samples.end")}, but shard {meta.Shard} of {meta.TotalSamples} samples is {first}..{end}");
        return meta;
    }

    // Version 3: each output's entry carries its "encoding", parsed by the codec registry.
    private static (CacheOutput[], ColumnCodec[]) ParseOutputs(string json, string source)
    {
        JsonArray array;
        CacheOutput[] outputs;
        try
        {
            array = JsonNode.Parse(json) as JsonArray ?? throw new JsonException("not a list");
            outputs = JsonSerializer.Deserialize<CacheOutput[]>(json, Json) ?? throw new JsonException("null");
            if (outputs.Any(o => o is null || o.Name is null || o.Column is null || o.Shape is null)) throw new JsonException("an output lacks name, column or shape");
        }
        catch (JsonException e) { throw new DistillException($"{source}: metadata '{Prefix}outputs' is invalid ({e.Message})"); }
        var codecs = outputs.Select((o, i) => CodecRegistry.Parse(array[i]?["encoding"] as JsonObject, o.Name, source)).ToArray();
        return (outputs, codecs);
    }

    // Version 2: distill.dtype / distill.top_k described the logits column (float32, float16, or top-K with a float64
    // log-sum-exp and no extras); every other output was float32.
    private static (CacheOutput[], ColumnCodec[]) LegacyOutputs(CacheOutput[] outputs, IReadOnlyDictionary<string, string> kv, string source)
    {
        var dtype = kv.GetValueOrDefault(Prefix + "dtype", "float32");
        ColumnCodec first = dtype switch
        {
            "float32" => Float32Codec.Instance,
            "float16" => Float16Codec.Instance,
            "topk" when kv.TryGetValue(Prefix + "top_k", out var tk) && int.TryParse(tk, NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0
                => new TopKCodec(k, StoredFloat.Float32, TopKExtras.None, doubleLogSumExp: true),
            _ => throw new DistillException($"{source}: unknown logits dtype '{dtype}' (or top_k missing)"),
        };
        return (outputs, outputs.Select((_, i) => i == 0 ? first : Float32Codec.Instance).ToArray());
    }

    // What a reader relies on; a corrupt or hand-edited footer must fail here, not as an index error later.
    private void CheckConsistent(string source)
    {
        if (Outputs.Count == 0) throw new DistillException($"{source}: metadata lists no outputs");
        if (ColumnCodecs.Count != Outputs.Count) throw new DistillException($"{source}: {Outputs.Count} outputs but {ColumnCodecs.Count} encodings");
        if (Preprocessing.Mean is not { Length: > 0 } || Preprocessing.Std is not { Length: > 0 }
            || Preprocessing.Std.Any(v => v == 0 || !double.IsFinite(v)) || Preprocessing.Mean.Any(v => !double.IsFinite(v)) || !double.IsFinite(Preprocessing.Scale))
            throw new DistillException($"{source}: metadata '{Prefix}preprocessing' is invalid");
        var columns = new HashSet<string>();
        foreach (var o in Outputs)
        {
            if (o.Shape.Length == 0 || o.Shape.Any(d => d <= 0) || o.Shape.Aggregate(1L, (a, b) => a * b) > 1 << 26)
                throw new DistillException($"{source}: output '{o.Name}' has an invalid shape [{string.Join(",", o.Shape)}]");
            if (!columns.Add(o.Column)) throw new DistillException($"{source}: two outputs share column '{o.Column}'");
            if (o.Teacher < -1 || o.Teacher >= AllTeachers.Count)
                throw new DistillException($"{source}: output '{o.Name}' names teacher {o.Teacher} of {AllTeachers.Count}");
        }
        foreach (var (o, codec) in Outputs.Zip(ColumnCodecs))
            if (codec.Problem(o, ClassCount) is { } why) throw new DistillException($"{source}: {why}");
        if (Outputs[0].Column != "logits") throw new DistillException($"{source}: the first output is not stored in 'logits'");
        if (ClassCount != Outputs[0].Shape[0]) throw new DistillException($"{source}: class count {ClassCount} disagrees with output shape [{string.Join(",", Outputs[0].Shape)}]");
        if (ClassNames is not null && IsClassifier && ClassNames.Count != ClassCount)
            throw new DistillException($"{source}: metadata lists {ClassNames.Count} class names for {ClassCount} classes");
        foreach (var (column, head) in Detection ?? new Dictionary<string, DetectionHead>())
        {
            var o = Outputs.FirstOrDefault(o => o.Column == column)
                ?? throw new DistillException($"{source}: metadata '{Prefix}detection' names column '{column}', which the cache does not have");
            if ((head.Invalid() ?? head.ShapeProblem(o.Shape)) is { } why)
                throw new DistillException($"{source}: metadata '{Prefix}detection' of column '{column}': {why}");
        }
        if (Views < 1 || Views > 1024) throw new DistillException($"{source}: invalid views {Views}");
        if (DatasetCount < 0 || Limit < 0 || Limit >= DatasetCount && Limit != 0)
            throw new DistillException($"{source}: invalid limit {Limit} of {DatasetCount} samples");
        if (Ensemble != "" && !EnsembleModes.Contains(Ensemble)) throw new DistillException($"{source}: unknown ensemble mode '{Ensemble}'");
    }

    /// <summary>
    /// What makes two caches the same request, field by field (exact value, value as shown to users): everything but
    /// provenance (command line, time, ONNX Runtime version) and a part's own rows and shard index. The limit and the
    /// number of shards are part of it.
    /// </summary>
    private IEnumerable<(string Name, string Exact, string Shown)> Identity()
    {
        var inv = CultureInfo.InvariantCulture;
        string Hex(string h) => h.Length > 12 ? h[..12] + "…" : h;
        (string, string, string) Same(string name, string value) => (name, value, value);
        yield return ("teacher", string.Join(" + ", AllTeachers.Select(t => $"{t.File}:{t.Sha256}")),
            string.Join(" + ", AllTeachers.Select(t => $"{t.File} (sha256 {Hex(t.Sha256)})")));
        yield return Same("ensemble", Ensemble == "" ? "none" : Ensemble);
        yield return Same("outputs", string.Join(", ", Outputs.Select(o => $"{o.Name} [{string.Join(",", o.Shape)}] in '{o.Column}' of teacher {o.Teacher}")));
        yield return Same("class count", ClassCount.ToString(inv));
        yield return Same("class names", ClassNames is null ? "none" : JsonSerializer.Serialize(ClassNames, Json));
        yield return Same("task", Task);
        yield return Same("detection", Detection is null ? "none" : string.Join("; ", Detection.Select(d => $"{d.Key}: {d.Value}")));
        yield return Same("dataset", DatasetName);
        yield return Same("split", Split);
        yield return Same("dataset size", DatasetCount.ToString(inv));
        yield return ("dataset fingerprint", Fingerprint, Hex(Fingerprint));
        yield return Same("sample shape", $"[{string.Join(",", SampleShape)}]");
        yield return Same("preprocessing", JsonSerializer.Serialize(new PreprocessingJson(Preprocessing.Scale, Preprocessing.Mean, Preprocessing.Std), Json));
        yield return Same("input", InputName);
        yield return Same("schema version", SchemaVersion.ToString(inv));
        yield return Same("encoding", string.Join(", ", Outputs.Zip(ColumnCodecs).Select(p => $"{p.First.Column} {p.Second.Describe(p.First)}")));
        yield return Same("compression", Compression.Name());
        yield return Same("views", Views.ToString(inv));
        yield return Same("augment", Augment == "" ? "none" : Augment);
        yield return Same("augment seed", AugmentSeed.ToString(inv));
        yield return ("limit", Limit.ToString(inv), Limit == 0 ? $"none (all {DatasetCount} samples)" : $"{Limit} samples");
        int n = ShardSpec.N;
        yield return ("sharding", n.ToString(inv), n == 1 ? "unsharded" : $"{n} shards");
    }

    /// <summary>
    /// The fields in which <paramref name="other"/> describes another cache than this one (empty: the same cache).
    /// </summary>
    public IReadOnlyList<MetadataDifference> Differences(CacheMetadata other) =>
        Identity().Zip(other.Identity())
            .Where(p => p.First.Exact != p.Second.Exact)
            .Select(p => new MetadataDifference(p.First.Name, p.First.Shown, p.Second.Shown))
            .ToList();

    /// <summary>16 hex digits identifying the request (SHA-256 of <see cref="Identity"/>): equal for all shards of one.</summary>
    public string IdentityKey()
    {
        var text = string.Join("\n", Identity().Select(f => f.Name + "=" + f.Exact));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    private sealed record PreprocessingJson(
        [property: JsonPropertyName("scale")] double Scale,
        [property: JsonPropertyName("mean")] double[] Mean,
        [property: JsonPropertyName("std")] double[] Std);
}

/// <summary>One field in which two caches differ, with its value in each (as shown to users).</summary>
public sealed record MetadataDifference(string Field, string This, string Other)
{
    /// <summary>"field A vs B", listing <paramref name="diffs"/> in one line.</summary>
    public static string Describe(IEnumerable<MetadataDifference> diffs, string thisName, string otherName) =>
        string.Join("; ", diffs.Select(d => $"{d.Field}: {d.This} ({thisName}) vs {d.Other} ({otherName})"));
}
