using System.CommandLine;
using Distill.Data;
using Distill.Teacher;

namespace Distill.Tools.PrecomputeLogits;

/// <summary><c>precompute-logits layers TEACHER.onnx</c>: the graph's tensors with their per-sample shapes, to pick an <c>--output</c>.</summary>
internal static class LayersCommand
{
    public static Command Create()
    {
        var teacher = new Argument<string>("teacher") { Description = "ONNX teacher model" };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset whose sample shape is fed (needed when the model's input has free axes besides the batch), e.g. fashion-mnist" };
        var input = new Option<string?>("--input") { Description = "Model input to feed when it has several (default: the card's)" };
        var cmd = new Command("layers", ToolHelp.Describe(
            "List the tensors of a teacher's graph in graph order with their type and shape for one sample (from one run on zeros); " +
            "any float32 tensor with a batch axis can be cached with --output NAME.",
            "precompute-logits layers models/fmnist-resnet/fmnist-resnet.onnx, then",
            "precompute-logits --teacher models/fmnist-resnet/fmnist-resnet.onnx --output logits --output /Flatten_output_0 --out caches/fmnist-train-features"));
        cmd.Arguments.Add(teacher);
        cmd.Options.Add(dataset);
        cmd.Options.Add(input);
        cmd.SetAction((ParseResult r) =>
        {
            var path = r.GetValue(teacher)!;
            var sample = r.GetValue(dataset) is { } d ? DatasetCatalog.Open(d, "train").SampleShape : null;
            var card = File.Exists(path) ? TeacherCard.TryLoadFor(path) : null;
            Print(TeacherLayers.List(path, sample, r.GetValue(input) ?? card?.InputName));
            return 0;
        });
        return cmd;
    }

    private static void Print(TeacherLayers layers)
    {
        string Shape(IEnumerable<long> dims) => "[" + string.Join(", ", dims) + "]";
        Console.WriteLine($"{layers.FileName}: input '{layers.InputName}' [{(layers.FixedBatch?.ToString() ?? "N")}, {string.Join(", ", layers.InputShape.Skip(1))}]; " +
                          $"{layers.Tensors.Count} tensors in graph order, shapes per sample");
        var rows = layers.Tensors.Select((t, i) => new[]
        {
            (i + 1).ToString(), t.Tensor.Name, t.Tensor.OpType, t.Probe.ElementType,
            t.Probe.SampleShape is { } s ? Shape(s.Select(x => (long)x)) : Shape(t.Probe.Shape),
            t.IsGraphOutput ? "graph output" : t.Probe.SampleShape == null ? "no batch axis" : t.CanCache ? "" : "not cacheable",
        }).Prepend(new[] { "#", "tensor", "op", "dtype", "shape", "" }).ToList();
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(row => row[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        var output = layers.Tensors.FirstOrDefault(t => t.IsGraphOutput && t.CanCache);
        if (output != null && layers.Tensors.LastOrDefault(t => t.CanCache && !t.IsGraphOutput) is { } inner)
            Console.WriteLine($"e.g. precompute-logits --teacher {layers.FileName} --output {output.Tensor.Name} --output {inner.Tensor.Name} ...");
    }
}
