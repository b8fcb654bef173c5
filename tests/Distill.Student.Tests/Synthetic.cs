using Distill.Student.Terms;
using Distill.Data;
using Distill.Student.Training;
using static TorchSharp.torch;

namespace Distill.Student.Tests;

/// <summary>Tiny in-memory data for fast tests: two Gaussian blobs per class in D dimensions.</summary>
internal sealed class MemoryDataset : IDataset
{
    private readonly float[] _x; private readonly int[] _y;
    public MemoryDataset(int count, int dims, int classes, int seed, string split = "train")
    {
        var rng = new Random(seed);
        _x = new float[count * dims]; _y = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes; _y[i] = c;
            for (int d = 0; d < dims; d++) _x[i * dims + d] = (float)(rng.NextDouble() * 2 - 1 + (d % classes == c ? 2.0 : 0.0));
        }
        (Count, SampleShape, ClassCount, Split) = (count, new[] { dims }, classes, split);
    }
    public string Name => "memory";
    public string Split { get; }
    public int Count { get; }
    public int[] SampleShape { get; }
    public int? ClassCount { get; }
    public bool HasLabels => true;
    public string Fingerprint => "memory";
    public void ReadSamples(int start, int count, Span<float> destination) => _x.AsSpan(start * SampleShape[0], count * SampleShape[0]).CopyTo(destination);
    public int GetLabel(int index) => _y[index];

    /// <summary>"Teacher" logits: 3 × one-hot of the label plus noise.</summary>
    public InMemoryLogitSource Teacher(int groupRows = 16)
    {
        int c = ClassCount!.Value; var rng = new Random(7);
        var logits = new float[Count * c];
        for (int i = 0; i < Count; i++) for (int k = 0; k < c; k++) logits[i * c + k] = (k == _y[i] ? 3f : 0f) + (float)rng.NextDouble();
        return new InMemoryLogitSource(Enumerable.Range(0, Count).Select(i => (long)i).ToArray(), _y.ToArray(), logits, c, groupRows);
    }
}

/// <summary>Objectives for trainer tests, built and bound the way <see cref="Distiller"/> does.</summary>
internal static class TestObjectives
{
    /// <summary>CE plus (with a teacher) 0.1 · MSE between the student's and the teacher's logits, named "mse".</summary>
    public static Objective CeAndMse(bool teacher) => Objective.Build(teacher
        ? new[] { new TermSpec { Loss = "ce" }, new TermSpec { Loss = "hint_mse", Name = "mse", Weight = 0.1 } }
        : new[] { new TermSpec { Loss = "ce" } });

    public static Objective Bound(this Objective o, nn.Module<Tensor, Tensor> student, int[] sampleShape, ILogitSource source)
    {
        o.Bind(o.StudentShapes(student, sampleShape, CPU), source.Columns, CPU);
        return o;
    }
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distill-test-" + Guid.NewGuid().ToString("N")[..8]);
    public TempDir() => Directory.CreateDirectory(Path);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
