using Distill.Tools;
using Distill.Tools.PrecomputeLogits;

// precompute-logits: run an ONNX teacher once over a dataset split and cache its logits in Parquet.
var root = PrecomputeCommand.Create();
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(DecodeBenchCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(LayersCommand.Create());
root.Subcommands.Add(CardCommand.Create());
return await ToolMain.InvokeAsync(root, args);
