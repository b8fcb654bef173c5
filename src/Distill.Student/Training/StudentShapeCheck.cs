using System.Runtime.InteropServices;
using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Runs a user's student once on a batch of one zero sample before training, so that a module that does not fit the
/// data (wrong input shape, wrong number of outputs) fails with one line instead of deep inside the first batch or,
/// worse, trains against the wrong classes. A student with <c>logits</c> on a cache of class logits must output
/// [1, C]; other outputs (a multi-task student's heads) are checked by the objective's terms.
/// </summary>
public static class StudentShapeCheck
{
    /// <param name="sampleShape">One sample's shape as the dataset gives it (no batch axis).</param>
    /// <param name="classCount">C when the cache holds class logits, else null (only that the student runs is checked).</param>
    public static void Verify(nn.Module<Tensor, Tensor> student, int[] sampleShape, int? classCount, Device device)
    {
        var input = new long[] { 1 }.Concat(sampleShape.Select(d => (long)d)).ToArray();
        long[] output;
        bool wasTraining = student.training;
        student.to(device);
        student.eval();   // no dropout, no batch-norm statistics updated by the probe
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            try { output = student.forward(zeros(input, device: device)).shape; }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
            {
                // TorchSharp reports libtorch errors as ExternalException, with libtorch's C++ backtrace after the first line.
                throw new DistillException($"the student fails on one sample of the dataset, input {Shape(input)}: {e.Message.Split('\n')[0].Trim()}", e);
            }
        }
        finally { student.train(wasTraining); }
        if (classCount is null || !Students.StudentOutputs.OutputsOf(student).Contains("logits")) return;
        if (!output.SequenceEqual(new long[] { 1, classCount.Value }))
            throw new DistillException($"the student outputs {Shape(output)} for one sample; the cache has {classCount} classes (expected [1, {classCount}])");
    }

    private static string Shape(IEnumerable<long> s) => $"[{string.Join(", ", s)}]";
}
