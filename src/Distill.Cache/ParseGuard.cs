using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Runs a parse of untrusted bytes with a time limit. Parquet.Net's footer parser can loop forever on some corrupt
/// footers (found by tests/Distill.Cache.Tests/CorruptCacheFuzzTests); such a file is reported as corrupt instead of
/// hanging the tool. The runaway parse keeps a background thread busy until the process exits.
/// </summary>
internal static class ParseGuard
{
    public static T Run<T>(Func<Task<T>> parse, TimeSpan limit, string what)
    {
        var task = Task.Factory.StartNew(parse, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        if (!task.Wait(limit, CancellationToken.None) && !task.IsCompleted)
        {
            task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // observe a late failure
            throw new DistillException($"{what}: could not be parsed within {limit.TotalSeconds:F0} s (corrupt file?)");
        }
        return task.GetAwaiter().GetResult();
    }
}
