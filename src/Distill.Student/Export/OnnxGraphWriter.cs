using System.Runtime.InteropServices;
using Distill.Onnx;
using Google.Protobuf;
using static TorchSharp.torch;

namespace Distill.Student.Export;

/// <summary>A value flowing through the graph: its ONNX name and its per-sample shape (batch axis left out).</summary>
public sealed record OnnxValue(string Name, long[] Shape);

/// <summary>Builds an ONNX <see cref="GraphProto"/>: float32 initializers from tensors, nodes with attributes, fresh value names.</summary>
internal sealed class OnnxGraphWriter
{
    private int _next;
    private readonly HashSet<string> _initializers = new();

    public GraphProto Graph { get; } = new();

    public string Fresh(string hint) => $"{hint}_{_next++}";

    /// <summary>Adds <paramref name="t"/> as a float32 initializer (raw little-endian data) named <paramref name="name"/>.</summary>
    public string Initializer(string name, Tensor t)
    {
        if (!_initializers.Add(name)) return name;
        using var c = t.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var values = c.data<float>().ToArray();
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(LittleEndian(values)) };
        proto.Dims.AddRange(c.shape);
        Graph.Initializer.Add(proto);
        return name;
    }

    public string Initializer(string name, float[] values, long[] dims)
    {
        if (!_initializers.Add(name)) return name;
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(LittleEndian(values)) };
        proto.Dims.AddRange(dims);
        Graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds <paramref name="values"/> as an int64 initializer (shapes, axes) under a fresh name.</summary>
    public string Int64s(string hint, long[] values)
    {
        var name = Fresh(hint);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Int64Data.AddRange(values);
        proto.Dims.Add(values.Length);
        Graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds <paramref name="values"/> as a float32 initializer (constants such as scales) under a fresh name.</summary>
    public string Floats(string hint, float[] values) => Initializer(Fresh(hint), values, new long[] { values.Length });

    /// <summary>Adds a node and returns the name of its (single) output.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = Fresh((name.Length == 0 ? "" : name + "/") + opType);
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 tensor type with a symbolic batch axis followed by <paramref name="shape"/>.</summary>
    public static ValueInfoProto BatchedFloat(string name, string batchParam, long[] shape)
    {
        var s = new TensorShapeProto();
        s.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchParam });
        foreach (var d in shape) s.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = s } },
        };
    }

    private static byte[] LittleEndian(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
        return bytes;
    }
}
