using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.Teacher;

/// <summary>
/// What one output of a session looks like: its element type ("float32", "int64", ... or "sequence"/"map" when it is
/// no tensor), its shape in the probe's first run, and its per-sample shape when it has a batch axis (else null).
/// </summary>
public sealed record ProbedTensor(string Name, string ElementType, long[] Shape, int[]? SampleShape)
{
    public const string Float32 = "float32";
}

/// <summary>
/// Runs a session once or twice on zero samples and reports each output's type and per-sample shape, which holds
/// even when the graph leaves axes symbolic (e.g. inner tensors, which usually carry no shape in the file).
/// </summary>
internal static class TensorProbe
{
    /// <summary>
    /// A dynamic batch axis is probed with batches of 1 and 2: an output has a batch axis when its first dimension
    /// follows the batch and its other dimensions stay (a shape tensor such as [2] or a constant [1, 5] does not).
    /// A fixed-batch model runs once at its batch, and outputs whose first dimension equals it count as batched.
    /// </summary>
    /// <param name="inputShape">The fed input's shape with the batch axis as -1.</param>
    /// <param name="what">How a failure names what was fed, e.g. "the dataset's samples".</param>
    public static IReadOnlyList<ProbedTensor> Run(InferenceSession session, string inputName, long[] inputShape, int? fixedBatch,
        IReadOnlyList<string> names, string file, string what)
    {
        var first = RunOnce(session, inputName, inputShape, fixedBatch ?? 1, names, file, what);
        var second = fixedBatch == null ? RunOnce(session, inputName, inputShape, 2, names, file, what) : null;
        return names.Select((name, i) =>
        {
            var (type, shape) = first[i];
            bool batched = shape.Length >= 1 && shape[0] == (fixedBatch ?? 1)
                && (second == null || second[i].Shape.Length == shape.Length && second[i].Shape[0] == 2 && second[i].Shape.Skip(1).SequenceEqual(shape.Skip(1)));
            return new ProbedTensor(name, type, shape, batched ? shape.Skip(1).Select(d => checked((int)d)).ToArray() : null);
        }).ToArray();
    }

    private static (string Type, long[] Shape)[] RunOnce(InferenceSession session, string inputName, long[] inputShape, int batch,
        IReadOnlyList<string> names, string file, string what)
    {
        var shape = (long[])inputShape.Clone();
        shape[0] = batch;
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        try
        {
            using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, new[] { inputName }, new[] { value }, names.ToArray());
            return results.Select(r => r.OnnxType == OnnxValueType.ONNX_TYPE_TENSOR
                ? (ElementName(r.GetTensorTypeAndShape().ElementDataType), r.GetTensorTypeAndShape().Shape)
                : (r.OnnxType.ToString().Replace("ONNX_TYPE_", "").ToLowerInvariant(), Array.Empty<long>())).ToArray();
        }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException($"teacher {file} cannot run on {what}: {e.Message.Split('\n')[0].Trim()}", e);
        }
    }

    /// <summary>NumPy-style names: float32, float16, bfloat16, float64, int64, uint8, bool, ...</summary>
    public static string ElementName(TensorElementType t) => t switch
    {
        TensorElementType.Float => ProbedTensor.Float32,
        TensorElementType.Float16 => "float16",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Double => "float64",
        _ => t.ToString().ToLowerInvariant(),
    };
}
