using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Distill.Cache;
using Distill.Data;
using Distill.Student.Export;

namespace Distill.Student.Training;

/// <summary>A teacher behind a cache's logits: its file name (for messages) and SHA-256 (what is compared).</summary>
public sealed record TeacherIdentity(string File, string Sha256);

/// <summary>A cache as a run saw it: <see cref="LogitCacheReader.ContentChecksum"/>, its teachers and row count.</summary>
public sealed record CacheIdentity(string ContentChecksum, IReadOnlyList<TeacherIdentity> Teachers, long Rows)
{
    public static CacheIdentity Of(LogitCacheReader cache)
    {
        var shas = TeacherCheck.TeacherShas(cache.Metadata);
        var teachers = cache.Metadata.AllTeachers.Where(t => shas.Contains(t.Sha256)).Select(t => new TeacherIdentity(t.File, t.Sha256)).ToArray();
        return new CacheIdentity(cache.ContentChecksum, teachers, cache.RowCount);
    }
}

/// <summary>A dataset split as a run saw it; the fingerprint covers its samples and labels.</summary>
public sealed record DataIdentity(string Name, string Split, int Count, string Fingerprint)
{
    public static DataIdentity Of(IDataset d) => new(d.Name, d.Split, d.Count, d.Fingerprint);
}

/// <summary>Where a run's initial weights came from (<c>--init-from</c>): the run, the file in it and its SHA-256.</summary>
public sealed record WeightsSource(string Run, string File, string Sha256);

/// <summary>
/// What a run is: its recipe as resolved, the student's architecture, the identity of the train and test caches
/// (content checksum, teachers) and of the dataset splits (fingerprints), and the weights it started from. Written to
/// OUT/run.json when the run starts; <c>--resume</c> refuses any difference (<see cref="Differences"/>), except the
/// device, which does not change what is computed beyond rounding.
/// </summary>
public sealed record RunIdentity
{
    public const string FileName = "run.json";

    public required Recipe Recipe { get; init; }
    /// <summary>The module tree (<see cref="StudentExport.Describe"/>): also tells apart students of one's own.</summary>
    public required string Student { get; init; }
    public required CacheIdentity TrainCache { get; init; }
    public CacheIdentity? TestCache { get; init; }
    public required DataIdentity TrainData { get; init; }
    public DataIdentity? TestData { get; init; }
    public WeightsSource? InitFrom { get; init; }

    private static readonly JsonSerializerOptions Json = new(Recipe.Json) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static RunIdentity Of(Recipe recipe, TrainingData data, TorchSharp.torch.nn.Module student, WeightsSource? initFrom) => new()
    {
        Recipe = recipe,
        Student = StudentExport.Describe(student),
        TrainCache = CacheIdentity.Of(data.Cache),
        TestCache = data.TestCache is null ? null : CacheIdentity.Of(data.TestCache),
        TrainData = DataIdentity.Of(data.Train),
        TestData = data.Test is null ? null : DataIdentity.Of(data.Test),
        InitFrom = initFrom,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>OUT/run.json, or null when there is none; an unreadable one is one line.</summary>
    public static RunIdentity? Load(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path)) return null;
        string why;
        try { return JsonSerializer.Deserialize<RunIdentity>(File.ReadAllText(path), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { why = JsonProblem.Describe(e); }
        catch (IOException e) { why = e.Message; }
        throw new DistillException($"{path} is unreadable ({why}); the run cannot be checked: start over with --overwrite");
    }

    /// <summary>
    /// The fields where <paramref name="now"/> differs from this identity, each as "field old → new"; the recipe's
    /// device is left out.
    /// </summary>
    public IReadOnlyList<string> Differences(RunIdentity now)
    {
        var d = new List<string>();
        var (a, b) = (RecipeFields(Recipe), RecipeFields(now.Recipe));
        foreach (var key in a.Keys.Union(b.Keys))
            if (key != "device" && a.GetValueOrDefault(key) != b.GetValueOrDefault(key))
                d.Add($"{key} {a.GetValueOrDefault(key) ?? "unset"} → {b.GetValueOrDefault(key) ?? "unset"}");
        if (Student != now.Student && Recipe.Student == now.Recipe.Student) d.Add($"student architecture {Student} → {now.Student}");
        Cache(d, "train cache", TrainCache, now.TrainCache);
        Cache(d, "test cache", TestCache, now.TestCache);
        Data(d, "train data", TrainData, now.TrainData);
        Data(d, "test data", TestData, now.TestData);
        if (InitFrom?.Sha256 != now.InitFrom?.Sha256) d.Add($"initial weights {Weights(InitFrom)} → {Weights(now.InitFrom)}");
        return d;
    }

    private static Dictionary<string, string> RecipeFields(Recipe r) =>
        JsonNode.Parse(r.ToJson())!.AsObject().ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? "null");

    private static void Cache(List<string> d, string what, CacheIdentity? was, CacheIdentity? now)
    {
        if (was is null || now is null)
        {
            if (was != now) d.Add($"{what} {(was is null ? "none" : "given")} → {(now is null ? "none" : "given")}");
            return;
        }
        if (!was.Teachers.Select(t => t.Sha256).SequenceEqual(now.Teachers.Select(t => t.Sha256)))
            d.Add($"{what} teacher {Teachers(was)} → {Teachers(now)}");
        if (was.ContentChecksum != now.ContentChecksum)
            d.Add($"{what} content (checksum {Hex(was.ContentChecksum)} → {Hex(now.ContentChecksum)}, {was.Rows} → {now.Rows} rows)");
    }

    private static void Data(List<string> d, string what, DataIdentity? was, DataIdentity? now)
    {
        if (was?.Fingerprint == now?.Fingerprint && was?.Split == now?.Split) return;
        static string Name(DataIdentity? x) => x is null ? "none" : $"{x.Name} {x.Split} ({x.Count} samples, fingerprint {Hex(x.Fingerprint)})";
        d.Add($"{what} {Name(was)} → {Name(now)}");
    }

    private static string Teachers(CacheIdentity c) => string.Join(" + ", c.Teachers.Select(t => $"{t.File} ({Short(t.Sha256)})"));
    private static string Weights(WeightsSource? w) => w is null ? "none" : $"{Path.Combine(w.Run, w.File)} ({Short(w.Sha256)})";
    private static string Short(string sha) => $"sha256 {Hex(sha)}";
    // 12 hex digits name a file or data set unambiguously in practice, as in the cache's messages.
    private static string Hex(string sha) => $"{sha[..Math.Min(12, sha.Length)]}…";
}
