namespace Distill.Data;

/// <summary>
/// Per-file work on all cores (decoding, hashing, parsing) with one error rule: the first
/// <see cref="DistillException"/> in index order is rethrown, whichever thread met it first, so a bad file is named
/// the same way on every run.
/// </summary>
internal static class ParallelWork
{
    /// <param name="threads">At most this many at once (default: all cores).</param>
    public static void For(int count, Action<int> work, int threads = -1)
    {
        var errors = new DistillException?[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            try { work(i); }
            catch (DistillException e) { errors[i] = e; }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw error;
    }

    public static T[] Map<T>(int count, Func<int, T> work)
    {
        var results = new T[count];
        For(count, i => results[i] = work(i));
        return results;
    }
}
