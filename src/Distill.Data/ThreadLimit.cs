namespace Distill.Data;

/// <summary>
/// The one bound on thread-count flags of every tool: at least 1 and at most 4× the machine's cores. An unbounded
/// value once started ~32,000 threads and made fork() fail for every process on the machine.
/// </summary>
public static class ThreadLimit
{
    public static int Max => 4 * Environment.ProcessorCount;

    /// <summary>Returns <paramref name="threads"/> or throws one line naming <paramref name="flag"/>.</summary>
    public static int Check(int threads, string flag = "--threads")
    {
        if (threads < 1 || threads > Max)
            throw new DistillException($"{flag} must be between 1 and {Max} (4 × the {Environment.ProcessorCount} cores), got {threads}");
        return threads;
    }
}
