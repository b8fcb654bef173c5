using System.Security.Cryptography;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.Teacher;

/// <summary>
/// An ONNX teacher exported from PyTorch, whatever its input/output names: resolves which input is fed and which
/// output holds the logits, checks that the dataset can feed the input, and knows its batch constraint.
/// </summary>
public sealed class TeacherModel : IDisposable
{
    public InferenceSession Session { get; }
    public string Path { get; }
    public string Sha256 { get; }
    public string InputName { get; }
    public string OutputName { get; }
    /// <summary>Input shape with the batch dimension left as -1 (e.g. [-1, 1, 28, 28]).</summary>
    public long[] InputShape { get; }
    /// <summary>Batch size the model was exported with, or null when the batch axis is dynamic.</summary>
    public int? FixedBatch { get; }
    public int ClassCount { get; }
    public string Device { get; }

    private TeacherModel(InferenceSession session, string path, string sha, string input, string output, long[] shape,
        int? fixedBatch, int classes, string device)
    {
        Session = session; Path = path; Sha256 = sha; InputName = input; OutputName = output; InputShape = shape;
        FixedBatch = fixedBatch; ClassCount = classes; Device = device;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for samples of <paramref name="sampleShape"/>. <paramref name="input"/> and
    /// <paramref name="output"/> pick names when the model has several; null means "the only one" (input) or "the
    /// one shaped [batch, C]" (output).
    /// </summary>
    public static TeacherModel Open(string path, int[] sampleShape, string? input, string? output,
        ExecutionDevice device, int threads, Action<string> warn)
    {
        if (!File.Exists(path)) throw new DistillException($"teacher {path} not found");
        string sha = Sha256Of(path);
        var options = SessionFactory.CreateOptions(device, threads, warn, out string used);
        InferenceSession session;
        try { session = new InferenceSession(path, options); }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException($"teacher {path} is not a loadable ONNX model ({e.Message.Split('\n')[0].Trim()})", e);
        }
        finally { options.Dispose(); }
        try
        {
            var inName = PickInput(session, input, path);
            var (shape, fixedBatch) = CheckInput(session.InputMetadata[inName], inName, sampleShape, path);
            var outName = PickOutput(session, output, path);
            var model = new TeacherModel(session, path, sha, inName, outName, shape, fixedBatch, 0, used);
            int classes = model.ProbeClassCount(sampleShape);
            return new TeacherModel(session, path, sha, inName, outName, shape, fixedBatch, classes, used);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static string PickInput(InferenceSession s, string? wanted, string path)
    {
        var names = s.InputMetadata.Keys.ToList();
        if (wanted != null)
            return names.Contains(wanted) ? wanted
                : throw new DistillException($"teacher {System.IO.Path.GetFileName(path)} has no input '{wanted}' (inputs: {string.Join(", ", names)})");
        if (names.Count == 1) return names[0];
        throw new DistillException($"teacher {System.IO.Path.GetFileName(path)} has {names.Count} inputs ({string.Join(", ", names)}); pick one with --input NAME");
    }

    private static (long[] Shape, int? FixedBatch) CheckInput(NodeMetadata meta, string name, int[] sample, string path)
    {
        string file = System.IO.Path.GetFileName(path);
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float)
            throw new DistillException($"teacher {file}: input '{name}' is {(meta.IsTensor ? meta.ElementDataType.ToString().ToLowerInvariant() : meta.OnnxValueType.ToString())}, but the dataset feeds float32 tensors");
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

    private static string PickOutput(InferenceSession s, string? wanted, string path)
    {
        string file = System.IO.Path.GetFileName(path);
        var outs = s.OutputMetadata;
        string Describe() => string.Join(", ", outs.Select(o =>
            $"{o.Key} [{string.Join(",", o.Value.Dimensions.Select(d => d < 0 ? "N" : d.ToString()))}]"));
        if (wanted != null)
            return outs.ContainsKey(wanted) ? wanted
                : throw new DistillException($"teacher {file} has no output '{wanted}' (outputs: {Describe()})");
        if (outs.Count == 1) return outs.Keys.First();
        var candidates = outs.Where(o => o.Value.IsTensor && o.Value.Dimensions.Length == 2).Select(o => o.Key).ToList();
        if (candidates.Count == 1) return candidates[0];
        throw new DistillException($"teacher {file} has several outputs ({Describe()}); pick one with --output NAME");
    }

    // One small run on zeros: proves the input is accepted and gives C even when the class axis is symbolic.
    private int ProbeClassCount(int[] sampleShape)
    {
        int batch = FixedBatch ?? 1;
        var shape = BatchShape(batch);
        var data = new float[batch * sampleShape.Aggregate(1, (a, b) => a * b)];
        try
        {
            using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            using var results = Session.Run(new RunOptions(), new[] { InputName }, new[] { value }, new[] { OutputName });
            var info = results[0].GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
                throw new DistillException($"teacher {System.IO.Path.GetFileName(Path)}: output '{OutputName}' is {info.ElementDataType.ToString().ToLowerInvariant()}, expected float32 logits");
            var dims = info.Shape;
            if (dims.Length != 2 || dims[0] != batch)
                throw new DistillException($"teacher {System.IO.Path.GetFileName(Path)}: output '{OutputName}' has shape [{string.Join(",", dims)}] for a batch of {batch}; logits must be [N, C]");
            return checked((int)dims[1]);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException($"teacher {System.IO.Path.GetFileName(Path)} cannot run on the dataset's samples: {e.Message.Split('\n')[0].Trim()}", e);
        }
    }

    public long[] BatchShape(int batch)
    {
        var s = (long[])InputShape.Clone();
        s[0] = batch;
        return s;
    }

    public static string Sha256Of(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(f));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"cannot read teacher {path}: {e.Message}", e);
        }
    }

    public void Dispose() => Session.Dispose();
}
