using Distill.Tools;
using Distill.Tools.TrainStudent;

// train-student: train a student on a teacher's cached logits (the root command) and the commands around it.
var root = TrainCommand.Create();
root.Subcommands.Add(SyntheticCommand.Create());
root.Subcommands.Add(LossEvalCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(TapsCommand.Create());
return await ToolMain.InvokeAsync(root, args);
