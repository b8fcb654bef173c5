using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// Everything that determines a training run. Read from a JSON recipe file (snake_case keys), every field also a
/// command-line flag (kebab-case). Same recipe and seed → same result.
/// </summary>
public sealed record Recipe
{
    public string Student { get; init; } = "mlp-256-256";
    public string Loss { get; init; } = "kd";
    public double Temperature { get; init; } = 4.0;
    public double Alpha { get; init; } = 1.0;
    public double Beta { get; init; } = 8.0;
    public double Gamma { get; init; } = 2.0;
    /// <summary>Weight of cross-entropy with the labels; null = the loss's default (kd: 0.1, ce/dkd/dist: 1).</summary>
    public double? CeWeight { get; init; }
    /// <summary>Weight of the distillation term; null = the loss's default (kd: 0.9, ce: 0, others: 1).</summary>
    public double? KdWeight { get; init; }
    /// <summary>Loss warmup in epochs (DKD: term × min(epoch / warmup, 1)); 0 = none.</summary>
    public int Warmup { get; init; }
    public double LabelSmoothing { get; init; }
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

    public static Recipe Load(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"recipe not found: {path}");
        try { return JsonSerializer.Deserialize<Recipe>(File.ReadAllText(path), Json) ?? throw new DistillException($"{path}: empty recipe"); }
        catch (JsonException e) { throw new DistillException($"{path}: invalid recipe ({FirstLine(e.Message)})", e); }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// Throws <see cref="DistillException"/> naming the first bad field (as its flag). The one place where every
    /// non-loss field is bounded; upper bounds keep values libtorch or the schedule cannot use (an lr of 1e308, a
    /// batch of 2³¹) from failing later with a native error.
    /// </summary>
    public Recipe Validate()
    {
        if (string.IsNullOrWhiteSpace(Student)) Fail("student", "must name a student");
        if (string.IsNullOrWhiteSpace(Loss)) Fail("loss", "must name a loss");
        if (Batch < 1) Fail("batch", "must be ≥ 1");
        if (Batch > MaxBatch) Fail("batch", $"must be ≤ {MaxBatch}");
        if (Epochs < 1) Fail("epochs", "must be ≥ 1");
        if (Epochs > MaxEpochs) Fail("epochs", $"must be ≤ {MaxEpochs}");
        if (Seed < 0) Fail("seed", "must be ≥ 0");
        if (!(Lr > 0)) Fail("lr", "must be > 0");
        if (!(Lr <= MaxLr)) Fail("lr", $"must be ≤ {MaxLr}");
        if (!(WeightDecay is >= 0 and <= 1)) Fail("weight-decay", "must be in [0, 1]");
        if (!(Momentum is >= 0 and < 1)) Fail("momentum", "must be in [0, 1)");
        if (Nesterov && Optimizer == "sgd" && Momentum == 0) Fail("nesterov", "needs --momentum > 0");
        if (!(Temperature > 0)) Fail("temperature", "must be > 0");
        if (!(Temperature <= MaxTemperature)) Fail("temperature", $"must be ≤ {MaxTemperature}");
        if (!(double.IsFinite(Alpha) && Alpha >= 0)) Fail("alpha", "must be a finite number ≥ 0");
        if (!(double.IsFinite(Beta) && Beta >= 0)) Fail("beta", "must be a finite number ≥ 0");
        if (!(double.IsFinite(Gamma) && Gamma >= 0)) Fail("gamma", "must be a finite number ≥ 0");
        if (Warmup < 0) Fail("warmup", "must be ≥ 0");
        if (!(LrWarmup >= 0)) Fail("lr-warmup", "must be ≥ 0");
        if (!(LrWarmup <= Epochs)) Fail("lr-warmup", $"must be ≤ --epochs ({Epochs})");
        if (StepEpochs < 1) Fail("step-epochs", "must be ≥ 1");
        if (!(LrDecay is > 0 and <= 1)) Fail("lr-decay", "must be in (0, 1]");
        if (MemoryBudgetMb < 16) Fail("memory-budget-mb", "must be ≥ 16");
        if (MemoryBudgetMb > MaxMemoryBudgetMb) Fail("memory-budget-mb", $"must be ≤ {MaxMemoryBudgetMb} (1 TiB)");
        if (Optimizer is not ("adam" or "adamw" or "sgd")) Fail("optimizer", $"'{Optimizer}' is not one of adam, adamw, sgd");
        if (Schedule is not ("constant" or "step" or "cosine" or "one-cycle")) Fail("schedule", $"'{Schedule}' is not one of constant, step, cosine, one-cycle");
        if (Device is not ("auto" or "cpu" or "cuda")) Fail("device", $"'{Device}' is not one of auto, cpu, cuda");
        return this;
    }

    public const int MaxBatch = 65536, MaxEpochs = 100_000, MaxMemoryBudgetMb = 1 << 20;
    public const double MaxLr = 10, MaxTemperature = 1000;

    private static void Fail(string flag, string why) => throw new DistillException($"--{flag} {why}");

    private static string FirstLine(string s) => s.Split('\n')[0];
}
