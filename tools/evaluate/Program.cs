using Distill.Tools;
using Distill.Tools.Evaluate;

// evaluate: a teacher and a student ONNX model on one labelled split, side by side (Markdown report + two PNGs).
return await ToolMain.InvokeAsync(EvaluateCommand.Create(), args);
