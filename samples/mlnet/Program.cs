// Distillation from ML.NET: `mlnet-sample [--cache DIR] [--model FILE] [--teacher ONNX] [--limit N] [--epochs N] [--student NAME] [--seed N] [--threads N]`
// caches the default teacher's logits (once), distills a student, evaluates, saves, loads and predicts;
// `mlnet-sample predict MODEL.zip [--count N]` loads a saved model in a process that never loads TorchSharp.
using Distill.Samples.MLNet;

return args.Length > 0 && args[0] == "predict" ? Predict.Run(args[1..]) : Train.Run(args);
