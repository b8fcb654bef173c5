using Distill.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Classification on the test split: <c>test_acc</c> (top-1), <c>test_top5</c> when C &gt; 5, and <c>agreement</c>
/// with the teacher's top-1 when its test logits are given.
/// </summary>
public sealed class Evaluator : IEvaluation
{
    private readonly Tensor _inputs;        // preprocessed test split, [N, ...sample shape]
    private readonly long[] _labels;
    private readonly Tensor _labelTensor;
    private readonly Tensor? _teacherTensor;
    private readonly long[]? _teacherTop1;
    private readonly long[] _shape;
    private readonly int _classes, _sampleSize;

    /// <param name="teacherTop1">Teacher's argmax per test sample (by dataset index), or null.</param>
    public Evaluator(IDataset test, Preprocessing prep, int classCount, long[]? teacherTop1 = null)
    {
        if (!test.HasLabels) throw new DistillException($"{test.Name} {test.Split} has no labels to evaluate against");
        _sampleSize = test.SampleSize();
        _classes = classCount;
        var inputs = new float[(long)test.Count * _sampleSize];
        test.ReadSamples(0, test.Count, inputs);
        int channels = test.SampleShape.Length == 3 ? test.SampleShape[0] : 1;
        for (int i = 0; i < test.Count; i++) prep.Apply(inputs.AsSpan(i * _sampleSize, _sampleSize), channels);
        _labels = Enumerable.Range(0, test.Count).Select(i => (long)test.GetLabel(i)).ToArray();
        _shape = test.SampleShape.Select(d => (long)d).ToArray();
        _inputs = tensor(inputs, new long[] { test.Count }.Concat(_shape).ToArray());
        _labelTensor = tensor(_labels);
        _teacherTop1 = teacherTop1;
        if (teacherTop1 is not null) _teacherTensor = tensor(teacherTop1);
        if (teacherTop1 is not null && teacherTop1.Length != test.Count)
            throw new DistillException($"the test cache has {teacherTop1.Length} rows, the test split {test.Count}");
    }

    public int Count => _labels.Length;

    /// <summary>Teacher's top-1 per dataset index from a test cache.</summary>
    public static async Task<long[]> TeacherTop1Async(ILogitSource cache, int count, CancellationToken ct = default)
    {
        var top = new long[count];
        Array.Fill(top, -1);
        int c = cache.ClassCount;
        for (int g = 0; g < cache.RowGroupCount; g++)
        {
            var rows = await cache.ReadRowGroupAsync(g, ct);
            for (int r = 0; r < rows.Rows; r++)
            {
                int best = Distill.Cache.LogitBatch.ArgMax(rows.Logits.AsSpan(r * c, c));
                long idx = rows.Index[r];
                if (idx < 0 || idx >= count) throw new DistillException($"the test cache refers to sample {idx}, the test split has {count}");
                top[idx] = best;
            }
        }
        if (top.Contains(-1)) throw new DistillException("the test cache does not cover every test sample");
        return top;
    }

    public IReadOnlyDictionary<string, double> Teacher { get; } = new Dictionary<string, double>();

    public IReadOnlyDictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> model, Device device) => Evaluate(model, device, 1000);

    public IReadOnlyDictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> model, Device device, int batch)
    {
        model.eval();
        long correct = 0, correct5 = 0, agree = 0;
        using (no_grad())
        {
            for (int start = 0; start < Count; start += batch)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batch, Count - start);
                var x = _inputs.narrow(0, start, n).to(device);
                var y = _labelTensor.narrow(0, start, n).to(device);
                var logits = model.forward(x);
                var pred = logits.argmax(1);
                correct += pred.eq(y).sum().item<long>();
                if (_classes > 5)
                {
                    var top5 = logits.topk(5, 1).indexes;
                    correct5 += top5.eq(y.unsqueeze(1)).any(1).sum().item<long>();
                }
                if (_teacherTop1 is not null)
                    agree += pred.eq(_teacherTensor!.narrow(0, start, n).to(device)).sum().item<long>();
            }
        }
        model.train();
        var metrics = new Dictionary<string, double> { ["test_acc"] = (double)correct / Count };
        if (_classes > 5) metrics["test_top5"] = (double)correct5 / Count;
        if (_teacherTop1 is not null) metrics["agreement"] = (double)agree / Count;
        return metrics;
    }
}
