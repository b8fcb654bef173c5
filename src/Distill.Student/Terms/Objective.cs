using Distill.Data;
using Distill.Student.Losses;
using Distill.Student.Students;
using Distill.Student.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Terms;

/// <summary>One built term: a weighted loss between a student output and a teacher column.</summary>
public sealed record Term(string Name, double Weight, DistillationLoss Loss, string Student, string Teacher, string? Adapter, int Warmup);

/// <summary>The total to back-propagate and each weighted term by name, as detached scalars on the device (for logging).</summary>
public sealed record StepLoss(Tensor Total, IReadOnlyDictionary<string, Tensor> Terms);

/// <summary>
/// The training objective Σ_i w_i · warmup_i(epoch) · loss_i(student output_i [→ adapter_i], teacher column_i), the way
/// torchdistill declares it: terms by name, each naming its loss (with the loss's own validated parameters), student
/// output, cache column and optional adapter. <see cref="Build"/> checks names and parameters (no data needed);
/// <see cref="Bind"/> checks the shapes against the student and the cache and creates the adapters.
/// </summary>
public sealed class Objective
{
    private readonly Dictionary<string, string> _column = new();   // term → resolved cache column name
    private readonly Dictionary<string, string> _moments = new();  // term → its column's stored mean/std companion
    private readonly List<string> _notes = new();

    private Objective(IReadOnlyList<Term> terms) => Terms = terms;

    public IReadOnlyList<Term> Terms { get; }

    /// <summary>The adapters (empty until <see cref="Bind"/>, and for objectives without adapters).</summary>
    public AdapterSet Adapters { get; } = new();

    /// <summary>One line per term that its cache column serves only approximately (set by <see cref="Bind"/>), for the run log.</summary>
    public IReadOnlyList<string> Notes => _notes;

    public static Objective Build(IEnumerable<TermSpec> specs)
    {
        var list = specs.ToList();
        var terms = new List<Term>();
        var repeated = list.GroupBy(s => s.Loss).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var s in list)
        {
            var loss = LossRegistry.Create(s.Loss, s.ParameterNodes());
            string name = s.Name ?? (repeated.Contains(s.Loss) ? $"{s.Loss}_{s.Teacher}" : s.Loss);
            if (name.Length == 0 || name.Contains('.') || name == "loss")
                throw new DistillException($"term name '{name}' is not allowed (no dots; 'loss' is the total)");
            if (!double.IsFinite(s.Weight) || s.Weight < 0)
                throw new DistillException($"weight of '{name}' must be a finite non-negative number, got {s.Weight}");
            if (s.Warmup < 0) throw new DistillException($"term '{name}': warmup must be 0 or more epochs, got {s.Warmup}");
            if (s.Adapter is not null && !AdapterKinds.Names.Contains(s.Adapter))
                throw new DistillException($"term '{name}': unknown adapter '{s.Adapter}' (known: {string.Join(", ", AdapterKinds.Names)})");
            if (terms.Any(t => t.Name == name))
                throw new DistillException($"two terms are named '{name}': give each a \"name\"");
            terms.Add(new Term(name, s.Weight, loss, s.Student, s.Teacher, s.Adapter, s.Warmup));
        }
        var live = terms.Where(t => t.Weight != 0).ToList();
        if (live.Count == 0) throw new DistillException("the objective has no term with a non-zero weight");
        return new Objective(live);
    }

    public bool NeedsTeacher => Terms.Any(t => t.Loss.NeedsTeacher);
    public bool NeedsLabels => Terms.Any(t => t.Loss.NeedsLabels);
    /// <summary>The dataset targets the terms read besides labels (masks, boxes).</summary>
    public IReadOnlyList<string> DatasetTargets => Terms.SelectMany(t => t.Loss.DatasetTargets).Distinct().ToList();
    public int MinBatchRows => Terms.Max(t => t.Loss.MinBatchRows);
    public string MinBatchLoss => Terms.MaxBy(t => t.Loss.MinBatchRows)!.Loss.Name;

    /// <summary>Student taps the terms read (besides logits).</summary>
    public IReadOnlyList<string> Taps => Terms.Select(t => t.Student).Where(s => s != "logits").Distinct().ToList();

    /// <summary>Cache columns the terms read, by column name, in first-use order (resolved by <see cref="Bind"/>).</summary>
    public IReadOnlyList<string> TeacherColumns => Terms.Where(t => t.Loss.NeedsTeacher).Select(t => _column[t.Name])
        .Concat(Terms.Where(t => _moments.ContainsKey(t.Name)).Select(t => _moments[t.Name])).Distinct().ToList();

    /// <summary>
    /// Resolves each term's teacher column among <paramref name="columns"/> (by column or ONNX output name), checks that
    /// the student output (after its adapter) and the column fit the loss, that the column's encoding can serve the loss
    /// (<see cref="CacheSupport"/>: refused is one line, approximate one note in <see cref="Notes"/>), and creates the adapters (drawing from torch's global generator) on <paramref name="device"/>.
    /// </summary>
    /// <param name="datasetTargets">Named targets the data provides besides labels (masks, boxes; none for class datasets).</param>
    /// <param name="targetLayout">What those targets and the student's detection heads look like, for the losses that read them.</param>
    public void Bind(IReadOnlyDictionary<string, long[]> studentShapes, IReadOnlyList<TeacherColumn> columns, Device device,
        IReadOnlyCollection<string>? datasetTargets = null, DenseTargetLayout? targetLayout = null)
    {
        foreach (var t in Terms)
        {
            foreach (var target in t.Loss.DatasetTargets)
                if (datasetTargets?.Contains(target) != true)
                    throw new DistillException($"term '{t.Name}': loss '{t.Loss.Name}' needs the dataset's '{target}' targets, which this dataset does not provide");
            if (!studentShapes.TryGetValue(t.Student, out var s))
                throw new DistillException($"term '{t.Name}': the student has no output '{t.Student}' (it has: {string.Join(", ", studentShapes.Keys)})");
            if (t.Loss.DatasetTargets.Count > 0 && t.Loss.BindTargets(t.Student, s, targetLayout ?? DenseTargetLayout.None) is { } problem)
                throw new DistillException($"term '{t.Name}': loss '{t.Loss.Name}' cannot train student output '{t.Student}': {problem}");
            if (!t.Loss.NeedsTeacher)
            {
                if (t.Adapter is not null) throw new DistillException($"term '{t.Name}': loss '{t.Loss.Name}' has no teacher side to adapt to");
                continue;
            }
            var col = columns.FirstOrDefault(c => c.Name == t.Teacher) ?? columns.FirstOrDefault(c => c.Output == t.Teacher)
                ?? throw new DistillException($"term '{t.Name}': the cache has no column '{t.Teacher}' (it has: {string.Join(", ", columns.Select(c => $"{c.Name} {c.ShapeText}"))})");
            _column[t.Name] = col.Name;
            var verdict = CacheSupport.Of(t.Loss.TeacherUse, col.Content);
            if (verdict.Level == SupportLevel.Refused)
                throw new DistillException($"term '{t.Name}': loss '{t.Loss.Name}' cannot use column '{col.Name}' stored as {col.Content.Encoding}: {verdict.How}");
            if (verdict.Level == SupportLevel.Approximate)
                _notes.Add($"term '{t.Name}': loss '{t.Loss.Name}' on column '{col.Name}' ({col.Content.Encoding}) is approximate: {verdict.How}");
            if (t.Loss.TeacherUse.HasFlag(TeacherUse.Moments) && !col.Content.Complete)
                _moments[t.Name] = TeacherColumn.MomentsOf(col.Name);
            var teacher = col.Shape.Select(d => (long)d).ToArray();
            var adapted = s;
            if (t.Adapter is not null)
            {
                Adapters.Add(t.Name, AdapterKinds.Create(t.Adapter, s, teacher, t.Name));
                adapted = teacher;
            }
            if (t.Loss.ShapeProblem(adapted, teacher) is { } why)
                throw new DistillException($"term '{t.Name}': student output '{t.Student}' {AdapterKinds.Show(adapted)}" +
                    (t.Adapter is null ? "" : $" (after adapter '{t.Adapter}')") + $" and teacher column '{col.Name}'{(col.Output != col.Name ? $" (output '{col.Output}')" : "")} {col.ShapeText} do not fit loss '{t.Loss.Name}': {why}");
        }
        Adapters.to(device);
    }

    /// <summary>Per-sample shapes of the student's logits and every tap the terms read, from one zero sample.</summary>
    public IReadOnlyDictionary<string, long[]> StudentShapes(nn.Module<Tensor, Tensor> student, int[] sampleShape, Device device)
    {
        using var outputs = new StudentOutputs(student, Taps);
        bool training = student.training;
        student.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var x = zeros(new long[] { 1 }.Concat(sampleShape.Select(d => (long)d)).ToArray(), device: device);
            return outputs.Forward(x).ToDictionary(kv => kv.Key, kv => kv.Value.shape.Skip(1).ToArray());
        }
        finally { student.train(training); }
    }

    /// <summary>
    /// The objective on one batch: <paramref name="teacher"/> holds the bound columns by name, shaped [B, ...];
    /// <paramref name="targets"/> the dataset's named targets beyond labels, when it has any.
    /// </summary>
    public StepLoss Compute(IReadOnlyDictionary<string, Tensor> student, IReadOnlyDictionary<string, Tensor> teacher, Tensor? labels, int epoch,
        IReadOnlyDictionary<string, Tensor>? targets = null)
    {
        var parts = new Dictionary<string, Tensor>(Terms.Count);
        Tensor? total = null;
        foreach (var term in Terms)
        {
            var s = student[term.Student];
            if (Adapters.For(term.Name) is { } adapter) s = adapter.call(s);
            var t = term.Loss.NeedsTeacher
                ? TeacherTargets.FromLogits(teacher[_column[term.Name]], _moments.TryGetValue(term.Name, out var m) ? teacher[m] : null)
                : null;
            double factor = Warmup.Factor(epoch, term.Warmup);
            var batch = new LossBatch(s, t, labels, epoch) { WarmupFactor = factor };
            if (targets is not null) batch = batch with { Targets = targets };
            var value = term.Loss.Forward(batch);
            if (!term.Loss.AppliesWarmup && factor != 1.0) value = value * factor;
            value = value * term.Weight;
            parts[term.Name] = value.detach();
            total = total is null ? value : total + value;
        }
        return new StepLoss(total!, parts);
    }
}
