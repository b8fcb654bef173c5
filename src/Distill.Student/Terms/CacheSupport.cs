using Distill.Cache;
using Distill.Student.Losses;

namespace Distill.Student.Terms;

public enum SupportLevel { Exact, Approximate, Refused }

/// <summary>How well a cache column serves a loss, and in words how (approximate) or why not (refused).</summary>
public sealed record CacheSupportVerdict(SupportLevel Level, string How);

/// <summary>
/// The encoding × loss table (docs/cache-format.md): what a loss reads (<see cref="TeacherUse"/>) against what a
/// column holds (<see cref="ColumnContent"/>). Dense float32 serves everything exactly and float16 everything up to its
/// rounding. A top-K column with K &lt; C serves distributions approximately (stored classes exact at T = 1, the rest of
/// the probability spread evenly over the other classes), the label's probability exactly when it keeps the label's
/// logit, standardization when it keeps each row's mean and std (refused otherwise), and nothing that needs every value.
/// </summary>
public static class CacheSupport
{
    public static CacheSupportVerdict Of(TeacherUse use, ColumnContent c)
    {
        if (use == TeacherUse.None) return new(SupportLevel.Exact, "");
        if (c.Complete)
            return c.Rounded ? new(SupportLevel.Approximate, "values rounded to float16 (relative error ≤ 2⁻¹¹)") : new(SupportLevel.Exact, "");
        int k = c.StoredValues;
        if (use.HasFlag(TeacherUse.Values))
            return new(SupportLevel.Refused, $"it needs every value of a row, and the column stores {k} of {c.Width} (precompute without --top-k)");
        if (use.HasFlag(TeacherUse.Moments) && !c.Moments)
            return new(SupportLevel.Refused, "standardize needs each row's mean and standard deviation over all classes, which the column does not store (precompute with --top-k-extras moments)");
        var how = new List<string> { $"the classes outside the top {k} share the remaining probability evenly (stored classes exact at T = 1)" };
        if (use.HasFlag(TeacherUse.TargetClass))
            how.Add(c.LabelValue ? "the label's logit is stored: its probability is exact at T = 1 wherever it ranks"
                : "a label outside the top K gets the even share (precompute with --top-k-extras label to keep its logit)");
        if (use.HasFlag(TeacherUse.Moments)) how.Add("standardized with the stored mean and std (exact)");
        if (c.Rounded) how.Add("stored logits rounded to float16");
        return new(SupportLevel.Approximate, string.Join("; ", how));
    }
}
