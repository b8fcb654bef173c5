using System.Globalization;
using Distill.Student.Training;
using Spectre.Console;

namespace Distill.Tools.TrainStudent;

/// <summary>Progress per epoch (a bar on a terminal, one plain line per epoch when redirected) and the final table.</summary>
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
        if (data.Test is null) Console.WriteLine($"no test evaluation: {data.NoTestReason}");
    }

    /// <summary>The terms as "0.1·ce + 0.9·kd" or "0.5·seg_ce(seg) + 0.5·seg_kl(seg ← seg)": the student output and column only when not logits.</summary>
    private string Objective => string.Join(" + ", Distill.Student.Terms.Objective.Build(Distill.Student.Terms.RecipeTerms.Of(recipe)).Terms.Select(t =>
        $"{F(t.Weight, "0.###")}·{t.Name}" + (!t.Loss.NeedsTeacher ? (t.Student == "logits" ? "" : $"({t.Student})")
            : t.Student == "logits" && t.Teacher == "logits" ? "" : $"({t.Student}{(t.Adapter is null ? "" : " →" + t.Adapter)} ← {t.Teacher})")));

    /// <summary>"epoch 3/20  loss 0.41  ce 0.05  kd 0.36  lr 1e-3  test_acc 0.8512  agreement 0.9001  2.6s": every test metric by name.</summary>
    public static string EpochLine(EpochMetrics m, int epochs)
    {
        var parts = string.Join("  ", m.Losses.Select(kv => $"{kv.Key} {F(kv.Value)}"));
        var test = string.Concat(m.Test.Select(kv => $"  {kv.Key} {F(kv.Value)}"));
        return $"epoch {m.Epoch}/{epochs}  {parts}  lr {F(m.Lr, "0.###e0")}{test}  {F(m.Seconds, "0.0")}s";
    }

    public async Task<TrainResult> RunAsync(Func<TrainerEvents, Task<TrainResult>> run)
    {
        if (Plain)
        {
            return await run(new TrainerEvents
            {
                Resumed = e => Console.WriteLine($"resuming after epoch {e}"),
                Notice = Console.WriteLine,
                EpochDone = m => Console.WriteLine(EpochLine(m, recipe.Epochs)),
            });
        }
        TrainResult? result = null;
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? task = null;
                result = await run(new TrainerEvents
                {
                    Resumed = e => AnsiConsole.MarkupLine($"resuming after epoch {e}"),
                    Notice = n => AnsiConsole.MarkupLine(Markup.Escape(n)),
                    EpochStarted = (e, n) => task = ctx.AddTask($"epoch {e}/{recipe.Epochs}", maxValue: n),
                    BatchDone = (_, d) => task!.Value = d,
                    EpochDone = m => { task!.Description = Markup.Escape(EpochLine(m, recipe.Epochs)); task.StopTask(); },
                });
            });
        return result!;
    }

    public void Final(TrainResult r, string? outDir)
    {
        var last = r.History[^1];
        var best = r.History.Where(h => h.TestAcc is not null).MaxBy(h => h.TestAcc!.Value);
        var table = new Table().AddColumn("metric").AddColumn("value");
        if (Plain) table.Border(TableBorder.Ascii);
        table.AddRow("student", Markup.Escape(recipe.Student));
        table.AddRow("objective", Markup.Escape(Objective));
        table.AddRow("parameters", r.Parameters.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("epochs", r.History.Count.ToString(CultureInfo.InvariantCulture));
        if (last.TestAcc is not null || last.Test.Count == 0)
        {
            table.AddRow("final test acc", F(last.TestAcc));
            table.AddRow("best test acc", best is null ? "-" : $"{F(best.TestAcc)} (epoch {best.Epoch})");
        }
        if (last.TestTop5 is not null) table.AddRow("final top-5", F(last.TestTop5));
        if (last.Agreement is not null) table.AddRow("agreement with teacher", F(last.Agreement));
        // Segmentation and detection: the student's final test mIoU and mAP@0.5 beside the teacher's on the same split.
        foreach (var (metric, label) in new[] { ("miou", "test mIoU"), ("map50", "test mAP@0.5") })
            if (last.Test.TryGetValue("test_" + metric, out var v))
                table.AddRow($"final {label} (teacher)", $"{F(v)} ({F(last.Teacher.TryGetValue("teacher_test_" + metric, out var t) ? t : null)})");
        table.AddRow("wall time", $"{F(r.WallSeconds, "0.0")} s");
        if (outDir is not null) table.AddRow("output", Markup.Escape(outDir));
        AnsiConsole.Write(table);
    }
}
