using System.Globalization;
using Distill.Data;
using Distill.Student.Students;
using static TorchSharp.torch;

namespace Distill.Student;

/// <summary>
/// Student architectures by name. Built-in: mlp-20-20, mlp-256-256, cnn-small (the reference table
/// bench/train/fmnist-students.reference.json), <c>mlp:H1,H2,...</c>, resnet20 / resnet32 (32×32 inputs),
/// multitask-small (segmentation + detection, sized from the teacher's <see cref="DenseHeads"/>). A user's own module
/// goes through <see cref="Distiller"/> directly instead.
/// </summary>
public static class StudentRegistry
{
    public static IReadOnlyList<string> Names { get; } = new[] { "mlp-20-20", "mlp-256-256", "cnn-small", "mlp:H1,H2,...", "resnet20", "resnet32", MultitaskSmall.Name };

    /// <param name="sampleShape">One sample's shape, channels first (e.g. [1, 28, 28]).</param>
    /// <param name="heads">The teacher's dense outputs, for students that mirror them (<see cref="DenseHeads.FromCache"/>).</param>
    public static nn.Module<Tensor, Tensor> Create(string name, int[] sampleShape, int classCount, DenseHeads? heads = null)
    {
        int inputs = sampleShape.Aggregate(1, (a, b) => a * b);
        switch (name)
        {
            case "mlp-20-20": return new Mlp(inputs, new[] { 20, 20 }, classCount);
            case "mlp-256-256": return new Mlp(inputs, new[] { 256, 256 }, classCount);
            case "cnn-small": { var (c, h, w) = Image(name, sampleShape); return new CnnSmall(c, h, w, classCount); }
            case "resnet20": { var (c, _, _) = Image(name, sampleShape); return new ResNet32(c, classCount, 3); }
            case "resnet32": { var (c, _, _) = Image(name, sampleShape); return new ResNet32(c, classCount, 5); }
            case MultitaskSmall.Name: return MultitaskSmall.Create(sampleShape, heads);
        }
        if (name.StartsWith("mlp:", StringComparison.Ordinal))
        {
            var hidden = new List<int>();
            foreach (var t in name[4..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var h) || h < 1)
                    throw new DistillException($"student '{name}': hidden widths must be positive integers, e.g. mlp:256,128");
                hidden.Add(h);
            }
            return new Mlp(inputs, hidden, classCount);
        }
        throw new DistillException($"unknown student '{name}' (expected one of: {string.Join(", ", Names)})");
    }

    private static (int c, int h, int w) Image(string name, int[] shape) => shape.Length == 3
        ? (shape[0], shape[1], shape[2])
        : throw new DistillException($"student '{name}' needs image samples [C,H,W], the dataset has [{string.Join(",", shape)}]");
}
