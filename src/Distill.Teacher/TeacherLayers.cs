namespace Distill.Teacher;

/// <summary>One tensor of a teacher's graph: where it comes from and what one run made of it.</summary>
public sealed record LayerTensor(GraphTensor Tensor, ProbedTensor Probe, bool IsGraphOutput)
{
    /// <summary>What <c>--output NAME</c> can cache: float32 with a batch axis and at least one value axis per sample.</summary>
    public bool CanCache => Probe.ElementType == ProbedTensor.Float32 && Probe.SampleShape is { Length: >= 1 };
}

/// <summary>
/// Every tensor a teacher's nodes produce, in graph order, with its element type and per-sample shape, found by
/// running the model on zero samples (on the CPU, one thread) with all of them as outputs.
/// </summary>
public sealed record TeacherLayers(string FileName, string InputName, long[] InputShape, int? FixedBatch, IReadOnlyList<LayerTensor> Tensors)
{
    /// <param name="sampleShape">The dataset's sample shape; null takes the input's own shape (all axes but the batch fixed).</param>
    /// <param name="input">The input to feed when the model has several.</param>
    public static TeacherLayers List(string path, int[]? sampleShape, string? input)
    {
        var graph = TeacherGraph.Load(path);
        using var options = SessionFactory.CreateOptions(ExecutionDevice.Cpu, 1, _ => { }, out _);
        using var session = graph.CreateSession(graph.Tensors.Select(t => t.Name), options);
        var inName = TeacherModel.PickInput(session, input, path);
        var meta = session.InputMetadata[inName];
        var (shape, fixedBatch) = sampleShape != null
            ? TeacherModel.CheckInput(meta, inName, sampleShape, path)
            : TeacherModel.InputFromModel(meta, inName, path);
        string fed = $"zero samples [{string.Join(",", shape.Skip(1))}]";
        var probed = TensorProbe.Run(session, inName, shape, fixedBatch, graph.Tensors.Select(t => t.Name).ToArray(), graph.FileName, fed);
        var outputs = graph.Outputs.ToHashSet();
        var tensors = graph.Tensors.Zip(probed, (t, p) => new LayerTensor(t, p, outputs.Contains(t.Name))).ToArray();
        return new TeacherLayers(graph.FileName, inName, shape, fixedBatch, tensors);
    }
}
