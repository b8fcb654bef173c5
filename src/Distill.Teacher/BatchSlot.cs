using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Reused input/output buffers for one batch in flight, with OrtValues over them created once per teacher (ONNX
/// Runtime reads and writes the pinned managed arrays directly; nothing is allocated per full batch).
/// </summary>
internal sealed class BatchSlot : IDisposable
{
    public readonly float[] Input;
    /// <summary>Raw outputs: [teacher][output], rows × per-sample width each.</summary>
    public readonly float[][][] Raw;
    /// <summary>The ensemble average, when the run averages teachers.</summary>
    public readonly float[] Averaged;
    public readonly long[] Index;
    public readonly int[] Labels, Views, CropX, CropY, Flip;
    /// <summary>Rows in this batch.</summary>
    public int Count;
    private readonly TeacherEnsemble _teachers;
    private readonly OrtValue[] _inputValues;
    private readonly OrtValue[][] _outputValues;
    private readonly int _sampleSize, _batch;

    public BatchSlot(int batch, int sampleSize, TeacherEnsemble teachers)
    {
        _batch = batch; _sampleSize = sampleSize; _teachers = teachers;
        Input = new float[batch * sampleSize];
        Index = new long[batch];
        Labels = new int[batch]; Views = new int[batch]; CropX = new int[batch]; CropY = new int[batch]; Flip = new int[batch];
        var models = teachers.Teachers;
        Raw = models.Select(t => t.OutputWidths.Select(w => new float[batch * w]).ToArray()).ToArray();
        Averaged = new float[teachers.IsAveraged ? batch * teachers.Outputs[0].Width : 0];
        _inputValues = models.Select(t => OrtValue.CreateTensorValueFromMemory(Input, t.BatchShape(batch))).ToArray();
        _outputValues = models.Select((t, i) => t.OutputShapes.Select((s, o) =>
            OrtValue.CreateTensorValueFromMemory(Raw[i][o], OutputShape(batch, s))).ToArray()).ToArray();
    }

    private static long[] OutputShape(int rows, int[] shape) => new long[] { rows }.Concat(shape.Select(d => (long)d)).ToArray();

    /// <summary>Runs teacher <paramref name="t"/> on the first <paramref name="rows"/> samples (a full batch reuses the OrtValues).</summary>
    public void Run(int t, RunOptions options, int rows)
    {
        var teacher = _teachers.Teachers[t];
        var inNames = new[] { teacher.InputName };
        var outNames = teacher.OutputNames as string[] ?? teacher.OutputNames.ToArray();
        if (rows == _batch)
        {
            teacher.Session.Run(options, inNames, new[] { _inputValues[t] }, outNames, _outputValues[t]);
            return;
        }
        // The last, shorter batch of a dynamic-batch model: views over the same arrays.
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Input.AsMemory(0, rows * _sampleSize), teacher.BatchShape(rows));
        var outputs = teacher.OutputShapes.Select((s, o) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            Raw[t][o].AsMemory(0, rows * teacher.OutputWidths[o]), OutputShape(rows, s))).ToArray();
        try { teacher.Session.Run(options, inNames, new[] { input }, outNames, outputs); }
        finally { foreach (var o in outputs) o.Dispose(); }
    }

    public void Dispose()
    {
        foreach (var v in _inputValues) v.Dispose();
        foreach (var o in _outputValues.SelectMany(x => x)) o.Dispose();
    }
}
