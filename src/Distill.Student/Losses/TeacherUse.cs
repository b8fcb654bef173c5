namespace Distill.Student.Losses;

/// <summary>
/// What a loss reads from its teacher column, so that a cache encoding can be judged exact, approximate or unable to
/// serve it (<see cref="Terms.CacheSupport"/>, the table in docs/cache-format.md).
/// </summary>
[Flags]
public enum TeacherUse
{
    /// <summary>No teacher column (CE).</summary>
    None = 0,
    /// <summary>Every value of the row as such: logit gaps, maps, features (ADKD, seg_kl, det_mse, hints, AT).</summary>
    Values = 1,
    /// <summary>The softmax distribution over classes (KD, DKD, DIST).</summary>
    Distribution = 2,
    /// <summary>The label's own probability, apart from the rest (DKD's target term).</summary>
    TargetClass = 4,
    /// <summary>Each row's mean and standard deviation over all classes (<c>standardize: true</c>).</summary>
    Moments = 8,
}
