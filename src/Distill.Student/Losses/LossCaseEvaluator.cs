using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Losses;

/// <summary>
/// Evaluates loss cases in the schema of ../shared/golden/losses.json (loss, params, B/C or shape, student, teacher,
/// labels) and returns each value and its gradient with respect to the student logits. Backs `train-student loss-eval`.
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
        string loss = c["loss"]?.GetValue<string>() ?? throw new DistillException($"{where}: no 'loss'");
        var p = c["params"] as JsonObject ?? new JsonObject();
        double Param(string name, double fallback) => p[name]?.GetValue<double>() ?? fallback;
        var defaults = new LossOptions();
        var options = new LossOptions
        {
            Temperature = Param("T", loss is "adkd" ? 1.0 : defaults.Temperature),
            Alpha = Param("alpha", defaults.Alpha),
            Beta = Param("beta", defaults.Beta),
            Gamma = Param("gamma", defaults.Gamma),
        };
        long[] shape = c["shape"] is JsonArray sh ? sh.Select(x => x!.GetValue<long>()).ToArray()
            : new[] { c["B"]?.GetValue<long>() ?? throw new DistillException($"{where}: no 'B' or 'shape'"),
                      c["C"]?.GetValue<long>() ?? throw new DistillException($"{where}: no 'C'") };
        double[] Numbers(string key) => (c[key] as JsonArray ?? throw new DistillException($"{where}: no '{key}'"))
            .Select(x => x!.GetValue<double>()).ToArray();
        var student = Numbers("student");
        var teacher = Numbers("teacher");
        long n = shape.Aggregate(1L, (a, b) => a * b);
        if (student.Length != n || teacher.Length != n)
            throw new DistillException($"{where}: student/teacher hold {student.Length}/{teacher.Length} values, shape needs {n}");

        using var scope = NewDisposeScope();
        var s = tensor(student, ScalarType.Float64).reshape(shape).to_type(dtype).requires_grad_(true);
        var t = tensor(teacher, ScalarType.Float64).reshape(shape).to_type(dtype);
        Tensor? labels = c["labels"] is JsonArray l ? tensor(l.Select(x => x!.GetValue<long>()).ToArray(), ScalarType.Int64) : null;
        var value = LossRegistry.Create(loss, options).Forward(new LossBatch(s, TeacherTargets.FromLogits(t), labels, Epoch: 1));
        value.backward();
        var grad = s.grad!.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        return new Result(value.to_type(ScalarType.Float64).item<double>(), grad);
    }

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
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, json.ToJsonString());
        File.Move(tmp, path, overwrite: true);
    }
}
