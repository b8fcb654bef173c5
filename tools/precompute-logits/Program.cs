using System.CommandLine;
using Distill.Data;
using Distill.Tools.PrecomputeLogits;

// precompute-logits: run an ONNX teacher once over a dataset split and cache its logits in Parquet.
var verbose = new Option<bool>("--verbose") { Description = "Show stack traces for errors", Recursive = true };
var root = PrecomputeCommand.Create();
root.Options.Add(verbose);
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
var parse = root.Parse(args);
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (DistillException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("error: cancelled");
    return 130;
}
catch (Exception e)
{
    // A bug, not a user error: still one line unless --verbose.
    Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]} (rerun with --verbose for details)");
    if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
    return 70;
}
