using Distill.Data;
using Distill.Student.Students;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.ScenePreview;

/// <summary>Runs an exported two-head student (student.onnx) on the first canvases with ONNX Runtime.</summary>
internal static class StudentOnnx
{
    public static HeadOutputs Run(string onnxPath, IDataset data, Preprocessing prep, DenseHeads heads, int count)
    {
        if (!File.Exists(onnxPath)) throw new DistillException($"{onnxPath} not found (--run takes a finished train-student run)");
        int size = data.SampleSize(), channels = data.SampleShape[0];
        var x = new float[(long)count * size];
        data.ReadSamples(0, count, x);
        for (int i = 0; i < count; i++) prep.Apply(x.AsSpan(i * size, size), channels);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        foreach (var name in new[] { heads.SegmentationOutput!, heads.DetectionOutput! })
            if (!session.OutputNames.Contains(name))
                throw new DistillException($"{onnxPath} has no output '{name}' (outputs: {string.Join(", ", session.OutputNames)}); the student must mirror the teacher's heads");
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { count }.Concat(data.SampleShape.Select(d => (long)d)).ToArray());
        using var ro = new RunOptions();
        using var results = session.Run(ro, new[] { session.InputNames[0] }, new[] { input }, new[] { heads.SegmentationOutput!, heads.DetectionOutput! });
        return new HeadOutputs(results[0].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorDataAsSpan<float>().ToArray(), count);
    }
}
