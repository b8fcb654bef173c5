using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Distill.Data;
using Distill.Student.Terms;

namespace Distill.Student.Training;

/// <summary>
/// Everything that determines a training run. Read from a JSON recipe file (snake_case keys), every field also a
/// command-line flag (kebab-case). Same recipe and seed → same result.
/// </summary>
public sealed record Recipe
{
    public string Student { get; init; } = "mlp-256-256";
    /// <summary>
    /// The objective as a list of terms (<see cref="TermSpec"/>). When absent, the shorthand fields below
    /// (loss, temperature, alpha, beta, gamma, standardize, ce_weight, kd_weight, warmup, label_smoothing) give
    /// ce_weight · ce + kd_weight · loss (<see cref="RecipeTerms"/>); a recipe uses one form or the other.
    /// </summary>
    public List<TermSpec>? Terms { get; init; }
    /// <summary>Shorthand: the distillation loss (default kd); "ce" trains on labels alone.</summary>
    public string? Loss { get; init; }
    /// <summary>Shorthand loss parameters; null = the loss's own default (each loss refuses the ones it does not take).</summary>
    public double? Temperature { get; init; }
    public double? Alpha { get; init; }
    public double? Beta { get; init; }
    public double? Gamma { get; init; }
    /// <summary>Shorthand: logit standardization for kd, dkd and dist (Sun et al. 2024).</summary>
    public bool? Standardize { get; init; }
    /// <summary>Weight of cross-entropy with the labels; null = the loss's shorthand default (kd: 0.1, others 1).</summary>
    public double? CeWeight { get; init; }
    /// <summary>Weight of the distillation term; null = the loss's shorthand default (kd: 0.9, others 1).</summary>
    public double? KdWeight { get; init; }
    /// <summary>Warmup of the distillation term in epochs (× min(epoch / warmup, 1)); null = none.</summary>
    public int? Warmup { get; init; }
    /// <summary>Label smoothing of the CE term.</summary>
    public double? LabelSmoothing { get; init; }
    /// <summary>adam, adamw or sgd.</summary>
    public string Optimizer { get; init; } = "adam";
    public double Lr { get; init; } = 1e-3;
    public double WeightDecay { get; init; }
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }
    /// <summary>constant, step, cosine or one-cycle.</summary>
    public string Schedule { get; init; } = "constant";
    /// <summary>Linear learning-rate warmup in epochs (not used by one-cycle, which has its own).</summary>
    public double LrWarmup { get; init; }
    /// <summary>step schedule: multiply the rate by <see cref="LrDecay"/> every <see cref="StepEpochs"/> epochs.</summary>
    public int StepEpochs { get; init; } = 30;
    public double LrDecay { get; init; } = 0.1;
    public int Batch { get; init; } = 128;
    public int Epochs { get; init; } = 20;
    public int Seed { get; init; }
    /// <summary>
    /// Share of the cached training samples held out for validation (seeded by <see cref="Seed"/>, never trained on);
    /// 0 = none (<see cref="ValidationSplit"/>). Validation accuracy then picks the best epoch.
    /// </summary>
    public double ValFraction { get; init; }
    /// <summary>Stop after this many epochs without a better validation (else test) accuracy; 0 = never.</summary>
    public int EarlyStop { get; init; }
    /// <summary>Train on the first N cached samples only (validation is held out of them); 0 = all.</summary>
    public int Limit { get; init; }
    /// <summary>auto, cpu or cuda.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>Memory for the cache shuffle buffer and dataset preload; a cache that fits is shuffled fully.</summary>
    public int MemoryBudgetMb { get; init; } = 512;
    /// <summary>
    /// The teacher the caches must come from: a path to its .onnx file (hashed) or its SHA-256 in hex; null accepts
    /// any teacher. Checked by <see cref="TeacherCheck"/>.
    /// </summary>
    public string? Teacher { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>
    /// Reads a recipe file. An unknown key is one line naming it and the valid keys; a value of the wrong type names
    /// its key and the type expected. Relative paths in it (<see cref="Teacher"/>) are resolved against the recipe's
    /// folder, not the working directory.
    /// </summary>
    public static Recipe Load(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"recipe not found: {path}");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                  ?? throw new DistillException($"{path}: a recipe is a JSON object ({{\"student\": ..., \"loss\": ...}})"); }
        catch (JsonException e) { throw new DistillException($"{path}: invalid JSON{(e.LineNumber is long l ? $" at line {l + 1}" : "")}", e); }
        foreach (var (key, _) in o)
            if (!Keys.Contains(key))
                throw new DistillException($"{path}: unknown key '{key}' (valid keys: {string.Join(", ", Keys)})");
        Recipe recipe;
        try { recipe = o.Deserialize<Recipe>(Json) ?? throw new DistillException($"{path}: empty recipe"); }
        catch (JsonException e)
        {
            var key = e.Path is { Length: > 2 } p ? p[2..].Split('.', '[')[0] : "a key";
            throw new DistillException(e.Message.Contains("missing required", StringComparison.Ordinal)
                ? $"{path}: {key}: {JsonProblem.Describe(e)}"
                : $"{path}: '{key}' has the wrong type (expected {Expected(key)})", e);
        }
        return recipe.Teacher is { } t && LooksLikePath(t) && !Path.IsPathRooted(t)
            ? recipe with { Teacher = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, t)) }
            : recipe;
    }

    /// <summary>The keys a recipe file may have (snake_case), in declaration order.</summary>
    public static IReadOnlyList<string> Keys { get; } = typeof(Recipe).GetProperties()
        .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
        .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();

    private static string Expected(string key)
    {
        var prop = typeof(Recipe).GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == key);
        var t = prop is null ? null : Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
        return t == typeof(int) ? "an integer" : t == typeof(double) ? "a number" : t == typeof(bool) ? "true or false"
            : t == typeof(string) ? "a string" : key == "terms" ? "a list of terms, e.g. [{\"loss\": \"kd\", \"weight\": 0.9}]" : "another type";
    }

    // A SHA-256 in hex is not a path; anything else in "teacher" names the teacher's .onnx file.
    private static bool LooksLikePath(string teacher) => !(teacher.Length == 64 && teacher.All(Uri.IsHexDigit));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Throws <see cref="DistillException"/> naming the first bad field (as its flag). The one place where every
    /// non-loss field is bounded; upper bounds keep values libtorch or the schedule cannot use (an lr of 1e308, a
    /// batch of 2³¹) from failing later with a native error.
    /// </summary>
    public Recipe Validate()
    {
        if (string.IsNullOrWhiteSpace(Student)) Fail("student", "must name a student");
        if (Loss is not null && string.IsNullOrWhiteSpace(Loss)) Fail("loss", "must name a loss");
        if (Batch < 1) Fail("batch", "must be ≥ 1");
        if (Batch > MaxBatch) Fail("batch", $"must be ≤ {MaxBatch}");
        if (Epochs < 1) Fail("epochs", "must be ≥ 1");
        if (Epochs > MaxEpochs) Fail("epochs", $"must be ≤ {MaxEpochs}");
        if (Seed < 0) Fail("seed", "must be ≥ 0");
        if (!(ValFraction is >= 0 and < 1)) Fail("val-fraction", "must be in [0, 1)");
        if (EarlyStop < 0) Fail("early-stop", "must be ≥ 0 (0: never)");
        if (EarlyStop > MaxEpochs) Fail("early-stop", $"must be ≤ {MaxEpochs}");
        if (Limit < 0) Fail("limit", "must be ≥ 0 (0: every cached sample)");
        if (!(Lr > 0)) Fail("lr", "must be > 0");
        if (!(Lr <= MaxLr)) Fail("lr", $"must be ≤ {MaxLr}");
        if (!(WeightDecay is >= 0 and <= 1)) Fail("weight-decay", "must be in [0, 1]");
        if (!(Momentum is >= 0 and < 1)) Fail("momentum", "must be in [0, 1)");
        if (Nesterov && Optimizer == "sgd" && Momentum == 0) Fail("nesterov", "needs --momentum > 0");
        if (!(LrWarmup >= 0)) Fail("lr-warmup", "must be ≥ 0");
        if (!(LrWarmup <= Epochs)) Fail("lr-warmup", $"must be ≤ --epochs ({Epochs})");
        if (StepEpochs < 1) Fail("step-epochs", "must be ≥ 1");
        if (!(LrDecay is > 0 and <= 1)) Fail("lr-decay", "must be in (0, 1]");
        if (MemoryBudgetMb < 16) Fail("memory-budget-mb", "must be ≥ 16");
        if (MemoryBudgetMb > MaxMemoryBudgetMb) Fail("memory-budget-mb", $"must be ≤ {MaxMemoryBudgetMb} (1 TiB)");
        if (Optimizer is not ("adam" or "adamw" or "sgd")) Fail("optimizer", $"'{Optimizer}' is not one of adam, adamw, sgd");
        if (Schedule is not ("constant" or "step" or "cosine" or "one-cycle")) Fail("schedule", $"'{Schedule}' is not one of constant, step, cosine, one-cycle");
        if (Device is not ("auto" or "cpu" or "cuda")) Fail("device", $"'{Device}' is not one of auto, cpu, cuda");
        _ = Objective.Build(RecipeTerms.Of(this));   // unknown losses, parameters and weights fail here, before any data
        return this;
    }

    public const int MaxBatch = 65536, MaxEpochs = 100_000, MaxMemoryBudgetMb = 1 << 20;
    public const double MaxLr = 10;

    private static void Fail(string flag, string why) => throw new DistillException($"--{flag} {why}");

}
