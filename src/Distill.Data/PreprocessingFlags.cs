using System.Globalization;

namespace Distill.Data;

/// <summary>Preprocessing as resolved for a model, with where it came from ("fmnist-resnet.json", "--scale/--mean/--std").</summary>
public sealed record ResolvedPreprocessing(Preprocessing Value, string Source)
{
    public override string ToString() => $"{Value} (from {Source})";
}

/// <summary>
/// The preprocessing flags of the tools (<c>--scale</c>, <c>--mean</c>, <c>--std</c>, <c>--no-normalize</c>), parsed once.
/// Nothing is assumed: the flags override a teacher card field by field, and without a card all three flags (or
/// <c>--no-normalize</c>) are needed (<see cref="Resolve"/>).
/// </summary>
public sealed record PreprocessingFlags(double? Scale, double[]? Mean, double[]? Std, bool NoNormalize = false)
{
    public static PreprocessingFlags None { get; } = new(null, null, null);

    /// <summary>What a refusal shows: the flags, with Fashion-MNIST-like values as an example.</summary>
    public const string Hint = "--scale 1/255 --mean 0.286 --std 0.353 (per channel: --mean 0.485,0.456,0.406), or --no-normalize to feed the raw values";

    public bool Any => Scale is not null || Mean is not null || Std is not null;

    /// <summary>Parses the flags' texts; <paramref name="scale"/> may be a fraction such as "1/255".</summary>
    public static PreprocessingFlags Parse(string? scale, string? mean, string? std, bool noNormalize)
    {
        var flags = new PreprocessingFlags(scale is null ? null : ParseScale(scale),
            mean is null ? null : Preprocessing.ParseList(mean, "mean"), std is null ? null : Preprocessing.ParseList(std, "std"), noNormalize);
        if (noNormalize && flags.Any) throw new DistillException("--no-normalize feeds the raw values: it excludes --scale, --mean and --std");
        return flags;
    }

    /// <summary>"0.0039215", "1/255" or "1".</summary>
    public static double ParseScale(string text)
    {
        var parts = text.Split('/');
        var invariant = CultureInfo.InvariantCulture;
        if (parts.Length is 1 or 2 && double.TryParse(parts[0], NumberStyles.Float, invariant, out var a)
            && (parts.Length == 1 || double.TryParse(parts[1], NumberStyles.Float, invariant, out var b) && b != 0))
        {
            double v = parts.Length == 1 ? a : a / double.Parse(parts[1], invariant);
            if (double.IsFinite(v) && v != 0) return v;
        }
        throw new DistillException($"--scale expects a nonzero number or fraction (e.g. 1/255 or 1), got '{text}'");
    }

    /// <summary>
    /// The preprocessing for the model whose card is <paramref name="card"/> (null: none), or null when the card and the
    /// flags leave scale, mean or std unknown. A card that gives mean and std but no <c>input.scale</c> has the card
    /// format's documented default scale, 1/255 (docs/teacher-card.md).
    /// </summary>
    public ResolvedPreprocessing? Resolve(TeacherCard? card, string? cardName)
    {
        if (NoNormalize) return new(Preprocessing.Raw, "--no-normalize");
        var (scale, mean, std) = Combine(card);
        if (scale is null || mean is null || std is null) return null;
        cardName ??= "the card";
        string source = !Any ? cardName : Scale is not null && Mean is not null && Std is not null ? Names() : $"{cardName} and {Names()}";
        return new(new Preprocessing(scale.Value, mean, std), source);
    }

    /// <summary>
    /// <see cref="Resolve"/>, or one line naming the model, what is missing, the flags to give and the <c>card</c>
    /// command that writes a card.
    /// </summary>
    public ResolvedPreprocessing Require(TeacherCard? card, string modelPath)
    {
        var cardFile = Path.GetFileName(TeacherCard.PathFor(modelPath));
        if (Resolve(card, cardFile) is { } r) return r;
        var (scale, mean, std) = Combine(card);
        var missing = new[] { (scale is null, "--scale"), (mean is null, "--mean"), (std is null, "--std") }.Where(m => m.Item1).Select(m => m.Item2).ToList();
        string what = card is null ? $"{Path.GetFileName(modelPath)} has no card ({cardFile})" : $"{cardFile} gives no input.mean/input.std";
        throw new DistillException($"{what} and {string.Join(", ", missing)} {(missing.Count > 1 ? "are" : "is")} not given: the input's preprocessing " +
            $"x = (raw·scale − mean) / std is never assumed; give {Hint}; or write a card once with `precompute-logits card {modelPath} --scale ... --mean ... --std ...`");
    }

    private (double? Scale, double[]? Mean, double[]? Std) Combine(TeacherCard? card)
    {
        bool cardNormalizes = card is { Mean: not null, Std: not null };
        double? cardScale = card?.Scale ?? (cardNormalizes ? TeacherCard.DefaultScale : null);
        return (Scale ?? cardScale, Mean ?? card?.Mean, Std ?? card?.Std);
    }

    private string Names() => string.Join("/", new[] { Scale is null ? null : "--scale", Mean is null ? null : "--mean", Std is null ? null : "--std" }.Where(n => n is not null));
}
