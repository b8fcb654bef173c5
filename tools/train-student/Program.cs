using System.CommandLine;
using Distill.Data;
using Distill.Student;
using Distill.Student.Training;
using Distill.Tools.TrainStudent;
using TorchSharp;

var root = new RootCommand("Train a student on a teacher's cached logits (stage 2 of offline distillation).");
TrainCommand.AddTo(root);
root.Subcommands.Add(SyntheticCommand.Create());
root.Subcommands.Add(LossEvalCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(TapsCommand.Create());
root.SetAction(async (ParseResult p, CancellationToken ct) =>
{
    bool verbose = p.GetValue(TrainCommand.Verbose);
    try
    {
        var cacheDir = p.GetValue(TrainCommand.Cache) ?? throw new DistillException("--cache DIR is required (make one with precompute-logits)");
        var recipe = TrainCommand.BuildRecipe(p);
        // Saved with the teacher as its hash (a path names a file, not a teacher); a missing file fails here too.
        var saved = TeacherCheck.WithTeacherHash(recipe);
        var outDir = p.GetValue(TrainCommand.Out);
        bool resume = p.GetValue(TrainCommand.Resume);
        if (p.GetValue(TrainCommand.Threads) is int threads)
        {
            if (threads < 1) throw new DistillException("--threads must be ≥ 1");
            torch.set_num_threads(threads);
        }
        if (outDir is not null)
        {
            if (!resume && File.Exists(Path.Combine(outDir, "summary.json")))
                throw new DistillException($"{outDir} already holds a finished run (choose another --out, or delete it)");
            try
            {
                Directory.CreateDirectory(outDir);
                if (!resume) File.WriteAllText(Path.Combine(outDir, "recipe.json"), saved.ToJson() + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DistillException($"cannot write to output directory {outDir}: {e.Message}");
            }
        }
        using var data = TrainingData.Open(cacheDir, p.GetValue(TrainCommand.Dataset), p.GetValue(TrainCommand.Split)!, p.GetValue(TrainCommand.TestCache));
        var console = new ConsoleReport(recipe, data);
        console.Header();
        var result = await console.RunAsync(events => Distiller.TrainAsync(data, recipe, outDir, resume, events, ct));
        console.Final(result, outDir);
        return 0;
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("interrupted; the last finished epoch is checkpointed (continue with --resume)");
        return 130;
    }
    catch (Exception e) when (e is DistillException || !verbose)
    {
        var msg = e is DistillException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        Console.Error.WriteLine($"error: {msg.Split('\n')[0]}" + (e is DistillException ? "" : " (--verbose for details)"));
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
