using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>One batch as a loss sees it. <paramref name="Epoch"/> counts from 1 (for warmup schedules).</summary>
public sealed record LossBatch(Tensor StudentLogits, TeacherTargets Teacher, Tensor? Labels, int Epoch);
