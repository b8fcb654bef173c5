using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// What the trainer measures on the test split after every epoch, as named metrics: classification top-1, top-5 and
/// agreement with the teacher (<see cref="Evaluator"/>), segmentation mIoU and detection mAP (<see cref="DenseEvaluation"/>).
/// The names go as they are into metrics.jsonl, the console and TensorBoard (test/NAME), and into summary.json as
/// final_NAME; <see cref="Teacher"/> holds the teacher's own metrics on the same split, computed once from the test cache.
/// </summary>
public interface IEvaluation
{
    /// <summary>The teacher's metrics on the test split (e.g. teacher_test_miou), constant over the run; empty when unknown.</summary>
    IReadOnlyDictionary<string, double> Teacher { get; }

    /// <summary>The student's metrics on the test split (e.g. test_acc), in a fixed order.</summary>
    IReadOnlyDictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> model, Device device);
}
