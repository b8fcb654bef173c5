using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Reused input/output buffers for one batch in flight, with OrtValues over them created once (ONNX Runtime reads
/// and writes the pinned managed arrays directly; nothing is allocated per batch).
/// </summary>
internal sealed class BatchSlot : IDisposable
{
    public readonly float[] Input;
    public readonly float[] Output;
    public readonly long[] Index;
    public readonly int[] Labels;
    public int Start, Count;
    private readonly OrtValue _inputValue, _outputValue;
    private readonly int _sampleSize, _classes;
    private readonly Func<int, long[]> _shape;

    public BatchSlot(int batch, int sampleSize, int classes, Func<int, long[]> inputShape)
    {
        _sampleSize = sampleSize; _classes = classes; _shape = inputShape;
        Input = new float[batch * sampleSize];
        Output = new float[batch * classes];
        Index = new long[batch];
        Labels = new int[batch];
        _inputValue = OrtValue.CreateTensorValueFromMemory(Input, inputShape(batch));
        _outputValue = OrtValue.CreateTensorValueFromMemory(Output, new long[] { batch, classes });
    }

    /// <summary>Runs the teacher on the first <paramref name="rows"/> samples (a full batch reuses the OrtValues).</summary>
    public void Run(InferenceSession session, RunOptions options, string[] inputNames, string[] outputNames, int rows)
    {
        if (rows == Index.Length)
        {
            session.Run(options, inputNames, new[] { _inputValue }, outputNames, new[] { _outputValue });
            return;
        }
        // The last, shorter batch of a dynamic-batch model: views over the same arrays.
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Input.AsMemory(0, rows * _sampleSize), _shape(rows));
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Output.AsMemory(0, rows * _classes), new long[] { rows, _classes });
        session.Run(options, inputNames, new[] { input }, outputNames, new[] { output });
    }

    public void Dispose()
    {
        _inputValue.Dispose();
        _outputValue.Dispose();
    }
}
