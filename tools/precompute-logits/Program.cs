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
