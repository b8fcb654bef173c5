using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>adam / adamw (betas 0.9, 0.999, eps 1e-8) and sgd (momentum, nesterov), with the recipe's weight decay.</summary>
public static class Optimizers
{
    public static OptimizerHelper Create(Recipe r, IEnumerable<Parameter> parameters) => r.Optimizer switch
    {
        "adam" => optim.Adam(parameters, r.Lr, weight_decay: r.WeightDecay),
        "adamw" => optim.AdamW(parameters, r.Lr, weight_decay: r.WeightDecay),
        "sgd" => optim.SGD(parameters, r.Lr, momentum: r.Momentum, weight_decay: r.WeightDecay, nesterov: r.Nesterov),
        _ => throw new Distill.Data.DistillException($"--optimizer '{r.Optimizer}' is not one of adam, adamw, sgd"),
    };

    public static void SetLearningRate(OptimizerHelper optimizer, double lr)
    {
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
    }
}
