using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Data;

namespace Distill.Student.Metrics;

/// <summary>
/// How a YOLO-style detection head [A, 5 + K] is laid out and decoded (YOLOv5's parametrisation, Jocher et al. 2020):
/// row r = a·GH·GW + gy·GW + gx (anchor-major) holds raw tx, ty, tw, th, objectness and K class logits;
/// cx = (2σ(tx) − 0.5 + gx)·stride, w = (2σ(tw))²·anchor width (input pixels, then normalized by the input side);
/// class = argmax of the class logits; score = σ(objectness)·σ(class logit).
/// </summary>
public sealed record YoloHeadLayout(IReadOnlyList<(double Width, double Height)> Anchors, int GridHeight, int GridWidth,
    int InputHeight, int InputWidth, int ClassCount)
{
    public int Rows => Anchors.Count * GridHeight * GridWidth;
    public int RowSize => 5 + ClassCount;

    /// <summary>Every anchor of one image's head output (<see cref="Rows"/> × <see cref="RowSize"/> values) as a detection.</summary>
    public Detection[] Decode(ReadOnlySpan<float> det)
    {
        if (det.Length != Rows * RowSize)
            throw new ArgumentException($"a detection head of {Rows} x {RowSize} has {Rows * RowSize} values, got {det.Length}");
        var result = new Detection[Rows];
        double strideX = (double)InputWidth / GridWidth, strideY = (double)InputHeight / GridHeight;
        for (int r = 0; r < Rows; r++)
        {
            int a = r / (GridHeight * GridWidth), gy = r / GridWidth % GridHeight, gx = r % GridWidth;
            var v = det.Slice(r * RowSize, RowSize);
            double cx = (2 * Sigmoid(v[0]) - 0.5 + gx) * strideX / InputWidth;
            double cy = (2 * Sigmoid(v[1]) - 0.5 + gy) * strideY / InputHeight;
            double w = Math.Pow(2 * Sigmoid(v[2]), 2) * Anchors[a].Width / InputWidth;
            double h = Math.Pow(2 * Sigmoid(v[3]), 2) * Anchors[a].Height / InputHeight;
            int best = 0;
            for (int c = 1; c < ClassCount; c++) if (v[5 + c] > v[5 + best]) best = c;   // first maximum, as numpy's argmax
            result[r] = new Detection(best, Sigmoid(v[4]) * Sigmoid(v[5 + best]), BoxCorners.FromCenter(cx, cy, w, h));
        }
        return result;
    }

    private static double Sigmoid(float x) => 1.0 / (1.0 + Math.Exp(-(double)x));

    /// <summary>The layout of <paramref name="head"/> on inputs of <paramref name="inputHeight"/> × <paramref name="inputWidth"/> with K classes.</summary>
    public static YoloHeadLayout Of(DetectionHead head, int inputHeight, int inputWidth, int classCount) =>
        new(head.Anchors.Select(a => (a[0], a[1])).ToArray(), head.GridHeight, head.GridWidth, inputHeight, inputWidth, classCount);

    /// <summary>
    /// The layout a teacher card describes for its output <c>det</c>: <c>anchors</c> ([[w, h], ...] in input pixels),
    /// <c>outputs.det.grid</c> ([GH, GW]) (<see cref="TeacherCard.DetectionHeads"/>), <c>input.shape</c> ([batch, C, H, W])
    /// and <c>classes</c>.
    /// </summary>
    public static YoloHeadLayout FromCard(string cardPath)
    {
        var head = TeacherCard.Load(cardPath).DetectionHeads?.GetValueOrDefault("det");
        JsonNode? root = JsonNode.Parse(File.ReadAllText(cardPath));
        try
        {
            var shape = root!["input"]!["shape"]!.AsArray();
            int classes = root["classes"]!.AsArray().Count;
            if (head is null || classes == 0) throw new InvalidOperationException("no detection head or classes");
            return Of(head, shape[2]!.GetValue<int>(), shape[3]!.GetValue<int>(), classes);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new DistillException($"{cardPath} does not describe a detection head (needs anchors, outputs.det.grid, input.shape and classes)", e);
        }
    }
}
