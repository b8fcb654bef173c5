using System.Globalization;
using Distill.Student.Training;
using Spectre.Console;

namespace Distill.Tools.TrainStudent;

/// <summary>
/// Progress per epoch (a bar on a terminal, with each finished epoch's line printed above it; one plain line per epoch
/// when redirected) and the final table. Epoch lines fit the console's width (80 columns when it is unknown).
/// </summary>
internal sealed class ConsoleReport(Recipe recipe, TrainingData data)
{
    private static readonly bool Plain = Console.IsOutputRedirected || Console.IsErrorRedirected;
    private static string F(double? v, string fmt = "0.0000") => v is { } x ? x.ToString(fmt, CultureInfo.InvariantCulture) : "-";

    public void Header()
    {
        var m = data.Cache.Metadata;
        Console.WriteLine($"train-student: {recipe.Student} on {data.Train.Name} {data.Train.Split} ({data.Cache.RowCount} cached rows, {m.ClassCount} classes, teacher {m.TeacherFile}), {recipe.Optimizer} lr {F(recipe.Lr, "g3")}, batch {recipe.Batch}, {recipe.Epochs} epochs, seed {recipe.Seed}");
        Console.WriteLine($"objective:     {Objective}");
        if (m.AllTeachers.Count > 1)
            Console.WriteLine(m.Ensemble == "separate"
                ? $"teachers:      {string.Join(" + ", m.AllTeachers.Select(t => t.File))} in separate columns ({string.Join(", ", m.Outputs.Select(o => o.Column))}); terms name the columns they distill from"
                : $"teachers:      {string.Join(" + ", m.AllTeachers.Select(t => t.File))}, ensemble {m.Ensemble}");
        if (m.HasViews)
            Console.WriteLine($"views:         {m.Views} per sample ({m.Augment}); every cached view is a training row, replayed on the student's input");
        if (data.Test is not null)
            Console.WriteLine($"test:          {data.Test.Name} {data.Test.Split} ({data.Test.Count:N0} samples){(data.TestCache is null ? "" : ", agreement from the test cache")}");
        else Console.WriteLine($"no test evaluation: {data.NoTestReason}");
    }

    /// <summary>The terms as "0.1·ce + 0.9·kd" or "0.5·seg_ce(seg) + 0.5·seg_kl(seg ← seg)": the student output and column only when not logits.</summary>
    private string Objective => string.Join(" + ", Distill.Student.Terms.Objective.Build(Distill.Student.Terms.RecipeTerms.Of(recipe)).Terms.Select(t =>
        $"{F(t.Weight, "0.###")}·{t.Name}" + (!t.Loss.NeedsTeacher ? (t.Student == "logits" ? "" : $"({t.Student})")
            : t.Student == "logits" && t.Teacher == "logits" ? "" : $"({t.Student}{(t.Adapter is null ? "" : " →" + t.Adapter)} ← {t.Teacher})")));

    /// <summary>
    /// One epoch in at most <paramref name="width"/> columns: "epoch 3/20  loss 0.4123  ce 0.30  kd 0.51  lr 1e-3
    /// val 0.8812  test 0.8740  top5 0.99  agree 0.9011  2.6s". When it does not fit, the least telling parts go first
    /// (lr, top-5, validation agreement, the loss's parts), then the separators shrink.
    /// </summary>
    public static string EpochLine(EpochMetrics m, int epochs, int width)
    {
        // (text, rank): higher ranks are dropped first.
        var parts = new List<(string Text, int Rank)> { ($"epoch {m.Epoch}/{epochs}", 0), ($"loss {F(m.Losses.GetValueOrDefault("loss"))}", 0) };
        parts.AddRange(m.Losses.Where(kv => kv.Key != "loss").Select(kv => ($"{kv.Key} {F(kv.Value)}", 4)));
        parts.Add(($"lr {F(m.Lr, "0.###e0")}", 7));
        if (m.ValAcc is not null) parts.Add(($"val {F(m.ValAcc)}", 1));
        if (m.ValAgreement is not null) parts.Add(($"val_agree {F(m.ValAgreement)}", 5));
        if (m.TestAcc is not null) parts.Add(($"test {F(m.TestAcc)}", 1));
        if (m.TestTop5 is not null) parts.Add(($"top5 {F(m.TestTop5)}", 6));
        if (m.Agreement is not null) parts.Add(($"agree {F(m.Agreement)}", 2));
        // Other named test metrics (test_miou, test_map50, ...) as "miou 0.4123".
        parts.AddRange(m.Test.Where(kv => !EpochMetrics.Classification.Contains(kv.Key)).Select(kv => ($"{(kv.Key.StartsWith("test_", StringComparison.Ordinal) ? kv.Key[5..] : kv.Key)} {F(kv.Value)}", 1)));
        parts.Add(($"{F(m.Seconds + m.EvalSeconds, "0.0")}s", 3));
        for (int drop = 8; drop >= 0; drop--)
        {
            var kept = parts.Where(p => p.Rank < drop).Select(p => p.Text).ToList();
            foreach (var sep in new[] { "  ", " " })
                if (string.Join(sep, kept) is var line && line.Length <= width) return line;
        }
        return string.Join(" ", parts.Where(p => p.Rank == 0).Select(p => p.Text));
    }

    /// <summary>Columns for an epoch line: the terminal's width, else $COLUMNS, else 80.</summary>
    private static int Width()
    {
        if (!Plain)
        {
            try { if (Console.WindowWidth > 0) return Console.WindowWidth - 1; }
            catch (IOException) { /* no console after all */ }
        }
        return int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var c) && c > 0 ? c - 1 : 79;
    }

    public async Task<TrainResult> RunAsync(Func<TrainerEvents, Task<TrainResult>> run)
    {
        if (Plain)
        {
            return await run(new TrainerEvents
            {
                Resumed = e => Console.WriteLine($"resuming after epoch {e}"),
                Notice = Console.WriteLine,
                EpochDone = m => Console.WriteLine(EpochLine(m, recipe.Epochs, Width())),
            });
        }
        TrainResult? result = null;
        // One bar for the epoch in progress; each finished epoch's line is printed above it and the bar starts over.
        await AnsiConsole.Progress().AutoClear(true).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? task = null;
                result = await run(new TrainerEvents
                {
                    Resumed = e => AnsiConsole.MarkupLine($"resuming after epoch {e}"),
                    Notice = n => AnsiConsole.MarkupLine(Markup.Escape(n)),
                    EpochStarted = (e, n) =>
                    {
                        task ??= ctx.AddTask("", maxValue: n);
                        task.Description = $"epoch {e}/{recipe.Epochs}";
                        task.MaxValue = n;
                        task.Value = 0;
                    },
                    BatchDone = (_, d) => task!.Value = d,
                    EpochDone = m => AnsiConsole.MarkupLine(Markup.Escape(EpochLine(m, recipe.Epochs, Width()))),
                });
            });
        return result!;
    }

    public void Final(TrainResult r, string? outDir)
    {
        var last = r.History[^1];
        var bestTest = r.History.Where(h => h.TestAcc is not null).MaxBy(h => h.TestAcc!.Value);
        var table = new Table().AddColumn("metric").AddColumn("value");
        if (Plain) table.Border(TableBorder.Ascii);
        table.AddRow("student", Markup.Escape(recipe.Student));
        table.AddRow("objective", Markup.Escape(Objective));
        table.AddRow("parameters", r.Parameters.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("epochs", r.History.Count.ToString(CultureInfo.InvariantCulture) + (r.StoppedEarly ? " (stopped early)" : ""));
        if (last.ValAcc is not null) table.AddRow("final validation acc", F(last.ValAcc));
        if (last.TestAcc is not null || last.Test.Count == 0)
        {
            table.AddRow("final test acc", F(last.TestAcc));
            table.AddRow("best test acc", bestTest is null ? "-" : $"{F(bestTest.TestAcc)} (epoch {bestTest.Epoch})");
        }
        if (r.Best is { } best)
        {
            string metric = BestEpoch.Metric(r.History)!;
            table.AddRow("kept as best/", $"epoch {best.Epoch} (by {metric}: {F(BestEpoch.Score(best, metric))}{(metric == "val_acc" && best.TestAcc is not null ? $", test {F(best.TestAcc)}" : "")})");
        }
        if (last.TestTop5 is not null) table.AddRow("final top-5", F(last.TestTop5));
        if (last.Agreement is not null) table.AddRow("agreement with teacher", F(last.Agreement));
        // Segmentation and detection: the student's final test mIoU and mAP@0.5 beside the teacher's on the same split.
        foreach (var (metric, label) in new[] { ("miou", "test mIoU"), ("map50", "test mAP@0.5") })
            if (last.Test.TryGetValue("test_" + metric, out var v))
                table.AddRow($"final {label} (teacher)", $"{F(v)} ({F(last.Teacher.TryGetValue("teacher_test_" + metric, out var t) ? t : null)})");
        table.AddRow("wall time", $"{F(r.WallSeconds, "0.0")} s");
        table.AddRow("output", outDir is null ? "none (no --out)" : Markup.Escape(outDir));
        AnsiConsole.Write(table);
    }
}
