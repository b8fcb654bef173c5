using System.CommandLine;
using Distill.Data;
using Distill.Student;
using Distill.Student.Training;
using Distill.Tools;
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
    var cacheDir = p.GetValue(TrainCommand.Cache) ?? throw new DistillException("--cache DIR is required (make one with precompute-logits)");
    var mode = TrainCommand.Mode(p);
    var outDir = p.GetValue(TrainCommand.Out);
    var init = p.GetValue(TrainCommand.InitFrom) is { } from ? InitialWeights.FromRun(from) : null;
    if (init is not null && outDir is not null && Path.GetFullPath(outDir).TrimEnd('/') == init.Source.Run.TrimEnd('/'))
        throw new DistillException("--init-from names the run in --out: continue a run with --resume; --init-from starts a new run in another directory");
    var recipe = TrainCommand.BuildRecipe(p, init);
    if (p.GetValue(TrainCommand.Threads) is int threads) torch.set_num_threads(ThreadLimit.Check(threads, "--threads"));
    using var data = TrainingData.Open(cacheDir, p.GetValue(TrainCommand.Dataset), p.GetValue(TrainCommand.Split)!, p.GetValue(TrainCommand.TestCache));
    var console = new ConsoleReport(recipe, data);
    console.Header();
    if (init is not null)
        Console.WriteLine($"initial weights: {Path.Combine(init.Source.Run, init.Source.File)} (sha256 {init.Source.Sha256[..12]}…), fresh optimizer and schedule");
    try
    {
        var result = await console.RunAsync(events => Distiller.TrainAsync(data, recipe, outDir, mode, events, init, ct));
        console.Final(result, outDir);
        return 0;
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
        Console.Error.WriteLine("interrupted; the last finished epoch is checkpointed (continue with --resume)");
        return 130;
    }
});
return await ToolMain.InvokeAsync(root, args);
