using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Evaluates loss cases in the schema of the golden files (loss, params, B/C or shape, student, teacher, labels; for
/// feature terms also teacher_shape and an adapter with its weights) and returns each value and its gradient with respect to the student logits. Backs `train-student loss-eval`.
/// </summary>
public static class LossCaseEvaluator
{
    public sealed record Result(double Value, double[] GradStudent);

    public static IReadOnlyList<Result> EvaluateFile(string path, ScalarType dtype)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"cannot read {path}: {e.Message}"); }
        catch (JsonException e) { throw new DistillException($"{path}: invalid JSON ({e.Message})"); }
        var cases = (root as JsonObject)?["cases"] as JsonArray ?? root as JsonArray
            ?? throw new DistillException($"{path}: expected {{\"cases\": [...]}} or a JSON array of cases");
        return cases.Select((c, i) => Evaluate(c as JsonObject ?? throw new DistillException($"{path}: case {i} is not an object"), dtype, $"{path}: case {i}")).ToList();
    }

    public static Result Evaluate(JsonObject c, ScalarType dtype, string where = "case")
    {
        string loss = c["loss"] is null ? throw new DistillException($"{where}: no 'loss'") : Text(c["loss"], where, "loss");
        // Parameters by the loss's own names; the golden file's "T" is the temperature.
        var p = (c["params"] as JsonObject ?? new JsonObject())
            .ToDictionary(kv => kv.Key == "T" ? "temperature" : kv.Key, kv => kv.Value?.DeepClone());
        var lossFn = LossRegistry.Create(loss, p);
        long[] shape = c["shape"] is not null ? Dims(c["shape"], where, "shape")
            : new[] { c["B"] is null ? throw new DistillException($"{where}: no 'B' or 'shape'") : Dim(c["B"], where, "B"),
                      c["C"] is null ? throw new DistillException($"{where}: no 'C'") : Dim(c["C"], where, "C") };
        long[] teacherShape = c["teacher_shape"] is not null ? Dims(c["teacher_shape"], where, "teacher_shape") : shape;
        double[] Numbers(string key) => (c[key] as JsonArray ?? throw new DistillException($"{where}: no '{key}' list"))
            .Select((x, i) => Number(x, where, $"{key}[{i}]")).ToArray();
        var student = Numbers("student");
        var teacher = Numbers("teacher");
        long Count(long[] sh) => sh.Aggregate(1L, (a, b) => a * b);
        if (student.Length != Count(shape) || teacher.Length != Count(teacherShape))
            throw new DistillException($"{where}: student/teacher hold {student.Length}/{teacher.Length} values, their shapes need {Count(shape)}/{Count(teacherShape)}");

        using var scope = NewDisposeScope();
        var s = tensor(student, ScalarType.Float64).reshape(shape).to_type(dtype).requires_grad_(true);
        var t = tensor(teacher, ScalarType.Float64).reshape(teacherShape).to_type(dtype);
        Tensor? labels = c["labels"] is null ? null
            : tensor((c["labels"] as JsonArray ?? throw new DistillException($"{where}: 'labels' is not a list")).Select((x, i) => Integer(x, where, $"labels[{i}]")).ToArray(), ScalarType.Int64);
        if (labels is not null && shape.Length == 2 && (labels.numel() != shape[0] || labels.min().item<long>() < 0 || labels.max().item<long>() >= shape[1]))
            throw new DistillException($"{where}: 'labels' must hold {shape[0]} class indices in [0, {shape[1]})");
        var x = s;
        using var adapter = c["adapter"] is { } a ? Adapter(Text(a, where, "adapter"), c["adapter_state"] as JsonObject, shape, teacherShape, dtype, where) : null;
        if (adapter is not null) x = adapter.call(s);
        var value = lossFn.Forward(new LossBatch(x, TeacherTargets.FromLogits(t), labels, Epoch: 1));
        value.backward();
        var grad = s.grad!.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        return new Result(value.to_type(ScalarType.Float64).item<double>(), grad);
    }

    /// <summary>The term's adapter with the case's weights (state_dict names), in training mode as during training.</summary>
    private static nn.Module<Tensor, Tensor> Adapter(string kind, JsonObject? state, long[] student, long[] teacher, ScalarType dtype, string where)
    {
        var adapter = Terms.AdapterKinds.Create(kind, student[1..], teacher[1..], "case");
        adapter.to(dtype);
        var mine = adapter.state_dict();
        using (no_grad())
            foreach (var (name, values) in state ?? new JsonObject())
            {
                if (!mine.TryGetValue(name, out var p)) throw new DistillException($"{where}: adapter '{kind}' has no weight '{name}' (it has: {string.Join(", ", mine.Keys)})");
                var v = (values as JsonArray ?? throw new DistillException($"{where}: adapter_state '{name}' is not a list")).Select((n, i) => Number(n, where, $"adapter_state.{name}[{i}]")).ToArray();
                if (v.Length != p.numel()) throw new DistillException($"{where}: adapter_state '{name}' holds {v.Length} values, the weight {p.numel()}");
                p.copy_(tensor(v, ScalarType.Float64).reshape(p.shape));
            }
        adapter.train();
        return adapter;
    }

    // The case file's values, each checked: a wrong type or a missing value is one line naming the case and the key.
    private static double Number(JsonNode? n, string where, string key) =>
        n is JsonValue v && v.TryGetValue<double>(out var d) ? d : throw new DistillException($"{where}: '{key}' must be a number");

    private static long Integer(JsonNode? n, string where, string key) =>
        n is JsonValue v && v.TryGetValue<long>(out var l) ? l : throw new DistillException($"{where}: '{key}' must be an integer");

    private static long Dim(JsonNode? n, string where, string key) =>
        Integer(n, where, key) is var d && d >= 1 && d <= 1 << 24 ? d : throw new DistillException($"{where}: '{key}' must be an integer from 1 to {1 << 24}");

    private static long[] Dims(JsonNode? n, string where, string key) =>
        (n as JsonArray is { Count: >= 1 } a ? a : throw new DistillException($"{where}: '{key}' must be a list of dimensions"))
            .Select((x, i) => Dim(x, where, $"{key}[{i}]")).ToArray();

    private static string Text(JsonNode? n, string where, string key) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new DistillException($"{where}: '{key}' must be a string");

    public static void WriteResults(string path, IReadOnlyList<Result> results)
    {
        var json = new JsonObject
        {
            ["results"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
            {
                ["value"] = r.Value,
                ["grad_student"] = new JsonArray(r.GradStudent.Select(g => (JsonNode)JsonValue.Create(g)).ToArray()),
            }).ToArray()),
        };
        AtomicFile.WriteText(path, json.ToJsonString());
    }
}
