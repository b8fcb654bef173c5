using System.Runtime.InteropServices;
using Distill.Data;
using Distill.Onnx;
using Google.Protobuf;

namespace Distill.MLNet.Training;

/// <summary>
/// Turns an exported student (student.onnx: preprocessed input [batch, ...sample] → logits [batch, C]) into the
/// model ML.NET's OnnxTransformer runs for one row: the feature column's raw values → the card's preprocessing
/// (x·(scale/std[c]) + (−mean[c]/std[c]) in float32, as <see cref="Preprocessing.Apply"/> computes it) → the student →
/// <c>Score</c> = softmax [C] and its argmax [1] as Int64 (the first of equal scores, as ML.NET's evaluator counts).
/// </summary>
internal static class ScoringGraph
{
    private const string StudentInput = "distill_student_input", StudentLogits = "distill_student_logits";

    public static byte[] Build(byte[] studentOnnx, Preprocessing preprocessing, int[] sampleShape, int classes, string featureColumn)
    {
        var model = ModelProto.Parser.ParseFrom(studentOnnx);
        var g = model.Graph;
        if (g.Input.Count != 1 || g.Output.Count != 1)
            throw new DistillException($"the exported student has {g.Input.Count} inputs and {g.Output.Count} outputs, expected one of each");
        string input = g.Input[0].Name, logits = g.Output[0].Name;
        var taken = g.Node.SelectMany(n => n.Input.Concat(n.Output)).Concat(g.Initializer.Select(i => i.Name)).ToHashSet();
        taken.Remove(input);
        taken.Remove(logits);
        foreach (var name in new[] { featureColumn, Scoring.DistilledStudent.ScoreOutput, Scoring.DistilledStudent.IndexOutput })
            if (taken.Contains(name)) throw new DistillException($"the student's graph already uses the name '{name}'; choose another column name");
        foreach (var n in g.Node)
        {
            Rename(n.Input, input, StudentInput);
            Rename(n.Input, logits, StudentLogits);
            Rename(n.Output, logits, StudentLogits);
        }

        int channels = sampleShape.Length == 3 ? sampleShape[0] : 1;
        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double m = preprocessing.Mean[preprocessing.Mean.Length == 1 ? 0 : c], s = preprocessing.Std[preprocessing.Std.Length == 1 ? 0 : c];
            scale[c] = (float)(preprocessing.Scale / s);
            shift[c] = (float)(-m / s);
        }
        long[] perChannel = sampleShape.Length == 3 ? new long[] { channels, 1, 1 } : new long[] { 1 };
        g.Initializer.Add(Floats("distill_scale", scale, perChannel));
        g.Initializer.Add(Floats("distill_shift", shift, perChannel));
        var before = new[]
        {
            Node("Mul", new[] { featureColumn, "distill_scale" }, "distill_scaled"),
            Node("Add", new[] { "distill_scaled", "distill_shift" }, StudentInput),
        };
        for (int i = before.Length - 1; i >= 0; i--) g.Node.Insert(0, before[i]);
        g.Initializer.Add(Longs("distill_score_shape", new long[] { classes }));
        g.Node.Add(Node("Softmax", new[] { StudentLogits }, "distill_probabilities", Int("axis", 1)));
        g.Node.Add(Node("Reshape", new[] { "distill_probabilities", "distill_score_shape" }, Scoring.DistilledStudent.ScoreOutput));
        g.Node.Add(Node("ArgMax", new[] { Scoring.DistilledStudent.ScoreOutput }, Scoring.DistilledStudent.IndexOutput,
            Int("axis", 0), Int("keepdims", 1), Int("select_last_index", 0)));

        g.Input.Clear();
        g.Input.Add(Value(featureColumn, TensorProto.Types.DataType.Float, new long[] { 1 }.Concat(sampleShape.Select(d => (long)d))));
        g.Output.Clear();
        g.Output.Add(Value(Scoring.DistilledStudent.ScoreOutput, TensorProto.Types.DataType.Float, new long[] { classes }));
        g.Output.Add(Value(Scoring.DistilledStudent.IndexOutput, TensorProto.Types.DataType.Int64, new long[] { 1 }));
        g.ValueInfo.Clear();   // shapes inside were for a dynamic batch; ONNX Runtime infers them again
        return model.ToByteArray();
    }

    private static void Rename(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == from) names[i] = to;
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto Floats(string name, float[] values, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static TensorProto Longs(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.Add(values.Length);
        return t;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, IEnumerable<long> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
