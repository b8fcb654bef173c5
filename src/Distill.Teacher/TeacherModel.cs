using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.Teacher;

/// <summary>
/// An ONNX teacher exported from PyTorch, whatever its input/output names: resolves which input is fed and which
/// outputs are cached (the first holds the logits), checks that the dataset can feed the input, and knows its batch
/// constraint and the per-sample shape of each output.
/// </summary>
public sealed class TeacherModel : IDisposable
{
    public InferenceSession Session { get; }
    public string Path { get; }
    public string Sha256 { get; }
    public string InputName { get; }
    /// <summary>Outputs to cache; the first is the distillation target.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    public string OutputName => OutputNames[0];
    /// <summary>Per-sample shape of each output in <see cref="OutputNames"/> (e.g. [10], or [3, 64, 64] for a map).</summary>
    public IReadOnlyList<int[]> OutputShapes { get; }
    /// <summary>Floats per sample of each output (the product of its shape).</summary>
    public IReadOnlyList<int> OutputWidths { get; }
    /// <summary>Input shape with the batch dimension left as -1 (e.g. [-1, 1, 28, 28]).</summary>
    public long[] InputShape { get; }
    /// <summary>Batch size the model was exported with, or null when the batch axis is dynamic.</summary>
    public int? FixedBatch { get; }
    /// <summary>C: the first output's first per-sample axis.</summary>
    public int ClassCount => OutputShapes[0][0];
    public string Device { get; }
    public string FileName => System.IO.Path.GetFileName(Path);

    private TeacherModel(InferenceSession session, string path, string sha, string input, IReadOnlyList<string> outputs,
        long[] shape, int? fixedBatch, IReadOnlyList<int[]> outputShapes, string device)
    {
        Session = session; Path = path; Sha256 = sha; InputName = input; OutputNames = outputs; InputShape = shape;
        FixedBatch = fixedBatch; OutputShapes = outputShapes; Device = device;
        OutputWidths = outputShapes.Select(s => s.Aggregate(1, (a, b) => checked(a * b))).ToArray();
    }

    /// <summary>
    /// Opens <paramref name="path"/> for samples of <paramref name="sampleShape"/>. <paramref name="input"/> and
    /// <paramref name="outputs"/> pick names when the model has several; null/empty means "the only one" (input) or
    /// "the one shaped [batch, C]" (output). An output may also name any tensor inside the graph (see
    /// <see cref="TeacherGraph"/>): the session is then made from the model with that tensor added to its outputs.
    /// </summary>
    /// <param name="spinning">ONNX Runtime's default of idle threads spinning, as a served model runs (evaluate's
    /// latency); precompute-logits' own sessions do not spin (<see cref="SessionFactory.CreateOptions"/>).</param>
    public static TeacherModel Open(string path, int[] sampleShape, string? input, IReadOnlyList<string>? outputs,
        ExecutionDevice device, int threads, Action<string> warn, bool spinning = false)
    {
        if (!File.Exists(path)) throw new DistillException($"teacher {path} not found");
        string sha = Sha256Of(path);
        using var options = SessionFactory.CreateOptions(device, threads, warn, out string used, spinning);
        InferenceSession session;
        try { session = new InferenceSession(path, options); }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException($"teacher {path} is not a loadable ONNX model ({e.Message.Split('\n')[0].Trim()})", e);
        }
        try
        {
            var inName = PickInput(session, input, path);
            var (shape, fixedBatch) = CheckInput(session.InputMetadata[inName], inName, sampleShape, path);
            var outNames = outputs is { Count: > 0 } ? outputs.ToList() : new List<string> { PickOutput(session, path) };
            var dup = outNames.GroupBy(o => o).FirstOrDefault(g => g.Count() > 1);
            if (dup != null) throw new DistillException($"--output {dup.Key} is given twice");
            // Only a model asked for inner tensors is read as a graph and loaded a second time with them as outputs.
            var inner = outNames.Where(o => !session.OutputMetadata.ContainsKey(o)).ToList();
            if (inner.Count > 0)
            {
                var graph = TeacherGraph.Load(path);
                foreach (var name in inner)
                    if (!graph.Produces(name)) throw new DistillException(NoSuchTensor(session, graph, name));
                var withInner = graph.CreateSession(inner, options);
                session.Dispose();
                session = withInner;
            }
            var model = new TeacherModel(session, path, sha, inName, outNames, shape, fixedBatch, Array.Empty<int[]>(), used);
            var shapes = model.ProbeOutputShapes();
            return new TeacherModel(session, path, sha, inName, outNames, shape, fixedBatch, shapes, used);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    internal static string PickInput(InferenceSession s, string? wanted, string path)
    {
        var names = s.InputMetadata.Keys.ToList();
        if (wanted != null)
            return names.Contains(wanted) ? wanted
                : throw new DistillException($"teacher {System.IO.Path.GetFileName(path)} has no input '{wanted}' (inputs: {string.Join(", ", names)})");
        if (names.Count == 1) return names[0];
        throw new DistillException($"teacher {System.IO.Path.GetFileName(path)} has {names.Count} inputs ({string.Join(", ", names)}); pick one with --input NAME");
    }

    internal static (long[] Shape, int? FixedBatch) CheckInput(NodeMetadata meta, string name, int[] sample, string path)
    {
        string file = System.IO.Path.GetFileName(path);
        CheckFloatInput(meta, name, file);
        var dims = meta.Dimensions;
        string Shape(IEnumerable<int> d) => "[" + string.Join(",", d.Select(x => x < 0 ? "N" : x.ToString())) + "]";
        int sampleSize = sample.Aggregate(1, (a, b) => a * b);
        long[] shape;
        // Either [N, *sample] or a flattened [N, prod(sample)] (e.g. an MLP teacher).
        if (dims.Length == sample.Length + 1)
        {
            for (int i = 0; i < sample.Length; i++)
                if (dims[i + 1] > 0 && dims[i + 1] != sample[i])
                    throw new DistillException($"teacher {file}: input '{name}' has shape {Shape(dims)}, the dataset's samples are {Shape(sample)}");
            shape = new long[] { -1 }.Concat(sample.Select(x => (long)x)).ToArray();
        }
        else if (dims.Length == 2 && (dims[1] <= 0 || dims[1] == sampleSize))
            shape = new long[] { -1, sampleSize };
        else
            throw new DistillException($"teacher {file}: input '{name}' has rank {dims.Length} {Shape(dims)}, the dataset feeds [N,{string.Join(",", sample)}]");
        return (shape, dims[0] > 0 ? dims[0] : null);
    }

    private static void CheckFloatInput(NodeMetadata meta, string name, string file)
    {
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
            throw new DistillException($"teacher {file}: input '{name}' is {(meta.IsTensor ? meta.ElementDataType.ToString().ToLowerInvariant() : meta.OnnxValueType.ToString())}, but the dataset feeds float32 tensors");
    }

    /// <summary>The input's own shape, for a model listed without a dataset: every axis but the batch must be fixed.</summary>
    internal static (long[] Shape, int? FixedBatch) InputFromModel(NodeMetadata meta, string name, string path)
    {
        CheckFloatInput(meta, name, System.IO.Path.GetFileName(path));
        var dims = meta.Dimensions;
        if (dims.Length == 0 || dims.Skip(1).Any(d => d <= 0))
            throw new DistillException($"teacher {System.IO.Path.GetFileName(path)}: input '{name}' has shape [{string.Join(",", dims.Select(d => d <= 0 ? "?" : d.ToString()))}]; " +
                "give --dataset so its samples fix the free axes");
        return (new long[] { -1 }.Concat(dims.Skip(1).Select(d => (long)d)).ToArray(), dims[0] > 0 ? dims[0] : null);
    }

    private static string DescribeOutputs(InferenceSession s) => string.Join(", ", s.OutputMetadata.Select(o =>
        $"{o.Key} [{string.Join(",", o.Value.Dimensions.Select(d => d < 0 ? "N" : d.ToString()))}]"));

    // The default output: the only one, or the only one shaped [batch, C].
    private static string PickOutput(InferenceSession s, string path)
    {
        var outs = s.OutputMetadata;
        if (outs.Count == 1) return outs.Keys.First();
        var candidates = outs.Where(o => o.Value.IsTensor && o.Value.Dimensions.Length == 2).Select(o => o.Key).ToList();
        if (candidates.Count == 1) return candidates[0];
        throw new DistillException($"teacher {System.IO.Path.GetFileName(path)} has several outputs ({DescribeOutputs(s)}); pick one with --output NAME");
    }

    private static string NoSuchTensor(InferenceSession s, TeacherGraph graph, string wanted)
    {
        var close = graph.Closest(wanted);
        return $"teacher {graph.FileName} has no output or inner tensor '{wanted}' (" +
               (close.Count > 0 ? $"close: {string.Join(", ", close)}; " : "") +
               $"outputs: {DescribeOutputs(s)}; all {graph.Tensors.Count} tensors: precompute-logits layers {graph.FileName})";
    }

    // Small runs on zeros (TensorProbe): prove the input is accepted and give each output's shape even when axes are symbolic.
    private IReadOnlyList<int[]> ProbeOutputShapes()
    {
        var probed = TensorProbe.Run(Session, InputName, InputShape, FixedBatch, OutputNames, FileName, "the dataset's samples");
        foreach (var (p, i) in probed.Select((p, i) => (p, i)))
        {
            if (p.ElementType != ProbedTensor.Float32)
                throw new DistillException($"teacher {FileName}: output '{p.Name}' is {p.ElementType}, expected float32 {(i == 0 ? "logits" : "values")}");
            if (p.SampleShape is not { Length: >= 1 })
                throw new DistillException($"teacher {FileName}: output '{p.Name}' has shape [{string.Join(",", p.Shape)}] for a batch of {FixedBatch ?? 1}" +
                    $"{(p.SampleShape == null ? " and no batch axis" : "")}; outputs must be [N, C] or [N, C, ...]");
        }
        return probed.Select(p => p.SampleShape!).ToArray();
    }

    public long[] BatchShape(int batch)
    {
        var s = (long[])InputShape.Clone();
        s[0] = batch;
        return s;
    }

    public static string Sha256Of(string path) => FileHash.Sha256Hex(path, $"teacher {path}");

    public void Dispose() => Session.Dispose();
}
