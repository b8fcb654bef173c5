using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// Which cached training samples a run trains on: the first <see cref="Recipe.Limit"/> of them (all when 0), of which
/// <see cref="Recipe.ValFraction"/> (rounded to whole samples) is held out for validation, chosen by a shuffle seeded
/// with <see cref="Recipe.Seed"/> (the same recipe always holds out the same samples). Held-out samples are never
/// trained on: their rows are dropped from the training batches (<see cref="SampleFilterSource"/>).
/// </summary>
public sealed class ValidationSplit
{
    /// <summary>Samples considered: the first N of the cache's range.</summary>
    public int Samples { get; }
    /// <summary>Held-out dataset indices, ascending; empty without validation.</summary>
    public int[] Validation { get; }
    private readonly bool[] _trained;
    private readonly int _views;

    private ValidationSplit(int samples, int[] validation, int views)
    {
        (Samples, Validation, _views) = (samples, validation, views);
        _trained = new bool[samples];
        Array.Fill(_trained, true);
        foreach (var i in validation) _trained[i] = false;
    }

    public bool HasValidation => Validation.Length > 0;

    /// <summary>The split for <paramref name="recipe"/> over the cache's samples, or null when every cached row trains.</summary>
    public static ValidationSplit? Of(Recipe recipe, CacheMetadata cache)
    {
        var (first, end) = cache.SampleRange;
        int cached = end - first;
        if (recipe.Limit == 0 && recipe.ValFraction == 0) return null;
        if (first != 0) throw new DistillException($"the cache's samples start at {first}; --limit and --val-fraction need a cache of samples 0..N");
        int n = recipe.Limit > 0 ? Math.Min(recipe.Limit, cached) : cached;
        int held = (int)Math.Round(recipe.ValFraction * n, MidpointRounding.AwayFromZero);
        if (recipe.ValFraction > 0 && (held < 1 || held >= n))
            throw new DistillException($"--val-fraction {recipe.ValFraction} of {n} training samples holds out {held}: at least one sample must be held out and one left to train on");
        // Partial Fisher–Yates: the first `held` of a seeded permutation of 0..n-1. Its own stream, apart from the
        // epoch shuffles (seed · 1000003 + epoch), so validation does not move when the batch order does.
        var rng = new Random(unchecked(recipe.Seed * 7919 + 104729));
        var perm = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < held; i++)
        {
            int j = rng.Next(i, n);
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }
        var validation = perm[..held];
        Array.Sort(validation);
        return new ValidationSplit(n, validation, cache.Views);
    }

    /// <summary>The training rows: the cache without the held-out samples and those beyond the limit.</summary>
    public ILogitSource TrainingRows(ILogitSource cache) => new SampleFilterSource(cache, _trained, (long)(Samples - Validation.Length) * _views);

    /// <summary>The held-out samples as a dataset ("val") of the training split.</summary>
    public IDataset ValidationData(IDataset train) => new SubsetDataset(train, Validation, "val");

    /// <summary>
    /// The teacher's top-1 for each held-out sample (in <see cref="Validation"/> order), for agreement; null for a
    /// cache of augmented views, whose logits belong to the views, not to the plain samples evaluated.
    /// </summary>
    public async Task<long[]?> TeacherTop1Async(ILogitSource cache, CancellationToken ct = default)
    {
        if (!cache.Augmentation.IsNone || _views != 1) return null;
        var position = new Dictionary<long, int>(Validation.Length);
        for (int k = 0; k < Validation.Length; k++) position[Validation[k]] = k;
        var top = new long[Validation.Length];
        int c = cache.Columns[0].Width;
        for (int g = 0; g < cache.RowGroupCount; g++)
        {
            var rows = await cache.ReadRowGroupAsync(g, ct);
            for (int r = 0; r < rows.Rows; r++)
                if (position.TryGetValue(rows.Index[r], out int k)) top[k] = LogitBatch.ArgMax(rows.Logits.AsSpan(r * c, c));
        }
        return top;
    }
}
