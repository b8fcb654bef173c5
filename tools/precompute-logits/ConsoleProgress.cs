using System.Diagnostics;
using Spectre.Console;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>
/// Progress for long work: a live bar with images/s and ETA on a terminal, plain periodic lines when redirected.
/// </summary>
internal static class ConsoleProgress
{
    public static async Task<T> RunAsync<T>(string title, long total, Func<Action<long>, Task<T>> work)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            T result = default!;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: total);
                    var clock = Stopwatch.StartNew();
                    result = await work(done =>
                    {
                        task.Value = done;
                        task.Description = $"{title} [grey]{done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):N0} img/s[/]";
                    });
                });
            return result;
        }

        var watch = Stopwatch.StartNew();
        double lastPrint = 0;
        return await work(done =>
        {
            double t = watch.Elapsed.TotalSeconds;
            if (t - lastPrint < 2 && done < total) return;
            lastPrint = t;
            double rate = done / Math.Max(t, 1e-3);
            Console.WriteLine($"{title}: {done:N0}/{total:N0} ({100.0 * done / total:F0}%) {rate:N0} img/s, ETA {(total - done) / Math.Max(rate, 1e-9):F0}s");
        });
    }
}
