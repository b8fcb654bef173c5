using Distill.Data;
using Distill.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>A tensor a node of the graph produces: its name and the node's operator.</summary>
public sealed record GraphTensor(string Name, string OpType);

/// <summary>
/// A teacher's ONNX file read as a graph: the tensors its nodes produce, in graph order, and sessions that return any
/// of them as extra outputs, so inner tensors (pooled features, a block's map) are cached without re-exporting.
/// </summary>
public sealed class TeacherGraph
{
    // ONNX Runtime looks for external weights next to the model file; a model given as bytes has no file.
    private const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";

    private readonly byte[] _bytes;
    private readonly string[] _names;
    private readonly HashSet<string> _produced;

    public string Path { get; }
    public string FileName => System.IO.Path.GetFileName(Path);
    /// <summary>The graph's declared outputs.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Every tensor a top-level node produces, in graph (topological) order.</summary>
    public IReadOnlyList<GraphTensor> Tensors { get; }
    /// <summary>True when initializers live in a file beside the model.</summary>
    public bool HasExternalData { get; }

    private TeacherGraph(string path, byte[] bytes, ModelProto model)
    {
        Path = path;
        _bytes = bytes;
        var g = model.Graph ?? new GraphProto();
        Outputs = g.Output.Select(o => o.Name).ToArray();
        Tensors = g.Node.SelectMany(n => n.Output.Where(o => o.Length > 0).Select(o => new GraphTensor(o, n.OpType)))
            .DistinctBy(t => t.Name).ToArray();
        _names = Tensors.Select(t => t.Name).Concat(Outputs).Distinct().ToArray();
        _produced = _names.ToHashSet();
        HasExternalData = g.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External);
    }

    public static TeacherGraph Load(string path)
    {
        if (!File.Exists(path)) throw new DistillException($"teacher {path} not found");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"cannot read teacher {path}: {e.Message}", e);
        }
        try { return new TeacherGraph(path, bytes, ModelProto.Parser.ParseFrom(bytes)); }
        catch (InvalidProtocolBufferException e)
        {
            throw new DistillException($"teacher {path} is not an ONNX model ({e.Message.Split('\n')[0].Trim()})", e);
        }
    }

    /// <summary>Whether a node of the graph produces <paramref name="name"/> (or the graph declares it as an output).</summary>
    public bool Produces(string name) => _produced.Contains(name);

    /// <summary>
    /// The model with <paramref name="extra"/> added to the graph's outputs. Protobuf merges a message field that
    /// occurs twice and appends repeated fields, so appending a model that holds only those outputs is the edit: the
    /// original bytes stay untouched (re-serializing them through proto3 would drop proto2 explicit zeros). Outputs
    /// carry only their name; ONNX Runtime infers their type and shape.
    /// </summary>
    public byte[] WithOutputs(IEnumerable<string> extra)
    {
        var graph = new GraphProto();
        graph.Output.AddRange(extra.Where(n => !Outputs.Contains(n)).Select(n => new ValueInfoProto { Name = n }));
        var tail = new ModelProto { Graph = graph }.ToByteArray();
        var bytes = new byte[_bytes.Length + tail.Length];
        _bytes.CopyTo(bytes, 0);
        tail.CopyTo(bytes, _bytes.Length);
        return bytes;
    }

    /// <summary>A session whose outputs are the graph's own plus <paramref name="extra"/>.</summary>
    public InferenceSession CreateSession(IEnumerable<string> extra, SessionOptions options)
    {
        if (HasExternalData)
            options.AddSessionConfigEntry(ExternalDataFolderKey, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        try { return new InferenceSession(WithOutputs(extra), options); }
        catch (OnnxRuntimeException e)
        {
            throw new DistillException($"teacher {FileName} does not load with inner tensors as outputs ({e.Message.Split('\n')[0].Trim()})", e);
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> tensor names close to <paramref name="wanted"/>, closest first: the same name
    /// in another case, then names containing it (or contained in it), then names a few edits away.
    /// </summary>
    public IReadOnlyList<string> Closest(string wanted, int count = 5)
    {
        var w = wanted.ToLowerInvariant();
        int allowed = Math.Max(2, w.Length / 3);
        return _names.Select((name, order) => (name, order, n: name.ToLowerInvariant()))
            .Select(t => (t.name, t.order, rank: t.n == w ? 0 : t.n.Contains(w) || w.Contains(t.n) ? 1 : 2, edits: EditDistance(t.n, w)))
            .Where(t => t.rank < 2 || t.edits <= allowed)
            .OrderBy(t => t.rank).ThenBy(t => t.edits).ThenBy(t => t.order)
            .Take(count).Select(t => t.name).ToArray();
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int up = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = up;
            }
        }
        return row[b.Length];
    }
}
