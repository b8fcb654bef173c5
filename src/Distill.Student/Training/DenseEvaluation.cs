using Distill.Data;
using Distill.Student.Metrics;
using Distill.Student.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Segmentation and detection on a test split with masks and boxes (<see cref="IDenseTargets"/>): <c>test_miou</c> of
/// the student's segmentation output against the masks and <c>test_map50</c> of its detection head against the boxes
/// (<see cref="DenseMetrics"/>: mIoU over the K + 1 classes, VOC mAP@0.5 after the confidence threshold and per-class
/// NMS), with the teacher's on the same split from its test cache (<c>teacher_test_miou</c>, <c>teacher_test_map50</c>).
/// The student's outputs are named as the teacher's (<see cref="DenseHeads"/>); either head may be missing.
/// </summary>
public sealed class DenseEvaluation : IEvaluation
{
    private readonly Tensor _inputs;        // preprocessed test split, [N, ...sample shape]
    private readonly IDenseTargets _targets;
    private readonly DenseHeads _heads;
    private readonly int _count;

    /// <param name="teacher">The teacher's outputs on the test split (its test cache), or null.</param>
    public DenseEvaluation(IDataset test, Preprocessing prep, DenseHeads heads, ILogitSource? teacher = null)
    {
        var dense = test as IDenseTargets ?? throw new DistillException($"{test.Name} {test.Split} has no masks or boxes to evaluate against");
        if (heads.SegmentationShape is { } seg && dense.Masks is { } m && m.MaskClassCount != seg[0])
            throw new DistillException($"{test.Name} {test.Split}: the masks have {m.MaskClassCount} classes (background and {m.MaskClassCount - 1}), the segmentation output '{heads.SegmentationOutput}' {seg[0]}");
        if (heads.Detection is { } det && dense.Boxes is { } b && b.BoxClassCount != det.ClassCount)
            throw new DistillException($"{test.Name} {test.Split}: the boxes have {b.BoxClassCount} classes, the detection output '{heads.DetectionOutput}' {det.ClassCount}");
        // Only the heads the split can score (masks for mIoU, boxes for mAP).
        _heads = heads with
        {
            SegmentationOutput = dense.Masks is null ? null : heads.SegmentationOutput,
            DetectionOutput = dense.Boxes is null ? null : heads.DetectionOutput,
        };
        _targets = new Targets(dense.Masks is null ? null : new MasksInMemory(dense.Masks, test.Count), dense.Boxes);
        _count = test.Count;
        int size = test.SampleSize(), channels = test.SampleShape.Length == 3 ? test.SampleShape[0] : 1;
        var inputs = new float[(long)_count * size];
        test.ReadSamples(0, _count, inputs);
        for (int i = 0; i < _count; i++) prep.Apply(inputs.AsSpan(i * size, size), channels);
        _inputs = tensor(inputs, new long[] { _count }.Concat(test.SampleShape.Select(d => (long)d)).ToArray());
        Teacher = teacher is null ? new Dictionary<string, double>() : Score(TeacherOutputs(teacher), "teacher_test_");
    }

    /// <summary>The output names the student must have.</summary>
    public IReadOnlyList<string> Outputs => new[] { _heads.SegmentationOutput, _heads.DetectionOutput }.OfType<string>().ToArray();

    public IReadOnlyDictionary<string, double> Teacher { get; }

    public IReadOnlyDictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> model, Device device)
    {
        var outputs = Outputs.ToDictionary(o => o, o => new List<float>());
        model.eval();
        using (no_grad())
        using (var student = new StudentOutputs(model, Outputs))
        {
            const int batch = 250;
            for (int start = 0; start < _count; start += batch)
            {
                using var scope = NewDisposeScope();
                var result = student.Forward(_inputs.narrow(0, start, Math.Min(batch, _count - start)).to(device));
                foreach (var (name, values) in outputs) values.AddRange(result[name].cpu().contiguous().data<float>().ToArray());
            }
        }
        model.train();
        return Score(outputs.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), "test_");
    }

    /// <summary>mIoU and mAP@0.5 of whole-split outputs by name, as PREFIXmiou and PREFIXmap50 (a metric with nothing to score is left out).</summary>
    private Dictionary<string, double> Score(IReadOnlyDictionary<string, float[]> outputs, string prefix)
    {
        float[]? seg = _heads.SegmentationOutput is { } s ? outputs[s] : null;
        float[]? det = _heads.DetectionOutput is { } d ? outputs[d] : null;
        var shape = _heads.SegmentationShape ?? new[] { 0, 0, 0 };
        var r = DenseMetrics.Evaluate(_targets, 0, _count, seg, shape[1], shape[2], det, det is null ? null : _heads.Detection);
        var metrics = new Dictionary<string, double>();
        if (r.Segmentation?.MeanIou is { } miou) metrics[prefix + "miou"] = miou;
        if (r.Detection?.Map is { } map) metrics[prefix + "map50"] = map;
        return metrics;
    }

    /// <summary>The teacher's cached outputs for the evaluated heads, by output name, in dataset order.</summary>
    private Dictionary<string, float[]> TeacherOutputs(ILogitSource cache)
    {
        var columns = cache.Columns.ToList();
        var result = new Dictionary<string, float[]>();
        var wanted = Outputs.Select(o => (Name: o, Column: columns.FindIndex(c => c.Output == o))).ToList();
        foreach (var (name, column) in wanted)
        {
            if (column < 0) throw new DistillException($"the test cache has no output '{name}' (it has: {string.Join(", ", columns.Select(c => c.Output))})");
            result[name] = new float[(long)_count * columns[column].Width];
        }
        var seen = new bool[_count];
        for (int g = 0; g < cache.RowGroupCount; g++)
        {
            var rows = cache.ReadRowGroupAsync(g).GetAwaiter().GetResult();
            for (int r = 0; r < rows.Rows; r++)
            {
                long index = rows.Index[r];
                if (index < 0 || index >= _count) throw new DistillException($"the test cache refers to sample {index}, the test split has {_count}");
                seen[index] = true;
                foreach (var (name, column) in wanted)
                {
                    int width = columns[column].Width;
                    rows.Column(column).AsSpan(r * width, width).CopyTo(result[name].AsSpan((int)index * width));
                }
            }
        }
        if (seen.Contains(false)) throw new DistillException("the test cache does not cover every test sample");
        return result;
    }

    private sealed record Targets(ISegmentationMasks? Masks, IObjectBoxes? Boxes) : IDenseTargets;
}
