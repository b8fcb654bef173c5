using System.Diagnostics;
using Distill.Data;
using Distill.Student.Output;
using Distill.Student.Students;
using Distill.Student.Terms;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>Callbacks for progress display; all optional.</summary>
public sealed class TrainerEvents
{
    public Action<int, long>? EpochStarted { get; init; }        // epoch, batches
    public Action<int, long>? BatchDone { get; init; }           // epoch, batches done
    public Action<EpochMetrics>? EpochDone { get; init; }
    public Action<int>? Resumed { get; init; }                   // epochs already done
    public Action<string>? Notice { get; init; }                 // a one-time remark (e.g. a dropped last batch)
}

public sealed record TrainResult(IReadOnlyList<EpochMetrics> History, double WallSeconds, long Parameters)
{
    /// <summary>The epoch kept as best/ (<see cref="BestEpoch"/>), or null when the run measures no accuracy.</summary>
    public EpochMetrics? Best { get; init; }
    /// <summary>Whether <see cref="Recipe.EarlyStop"/> ended the run before its last epoch.</summary>
    public bool StoppedEarly { get; init; }
}

/// <summary>
/// The training loop: per batch student forward, objective, backward, optimizer step (learning rate from the
/// schedule); validation and test evaluation, metrics, checkpoint each epoch. Mirrors the usual PyTorch loop. The
/// student gives the outputs the objective's terms name (logits plus taps); the objective's adapters train, checkpoint
/// and resume with it. The best epoch's weights (<see cref="BestEpoch"/>) travel with the checkpoints and end as
/// OUT/best/; <see cref="Recipe.EarlyStop"/> ends the run after that many epochs without a better one.
/// </summary>
public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Objective _objective;
    private readonly CachedBatchSource _data;
    private readonly IEvaluation? _eval;
    private readonly Recipe _recipe;
    private readonly long[] _sampleShape;
    private readonly Device _device;

    /// <summary>The dataset's masks and boxes per batch, when the objective's losses read them.</summary>
    public DenseTargetBatches? Targets { get; init; }

    /// <summary>SHA-256s of the teachers the logits came from, recorded in summary.json; empty when unknown.</summary>
    public IReadOnlyList<string> TeacherSha256s { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Writes what else a finished run leaves in the output directory (e.g. the exported student), after model.dat and
    /// before summary.json, which is written last and marks the run finished: a failed export leaves no summary.
    /// </summary>
    public Action<nn.Module<Tensor, Tensor>, string>? Finishing { get; init; }

    /// <summary>The held-out part of the training split (<see cref="ValidationSplit"/>), evaluated each epoch; or null.</summary>
    public Evaluator? Validation { get; init; }

    /// <summary>Where a finished run keeps its best epoch: OUT/best/ (model.dat and the export).</summary>
    public const string BestDirectory = "best";

    /// <param name="objective">Bound to the student and the data's columns (<see cref="Objective.Bind"/>).</param>
    public Trainer(nn.Module<Tensor, Tensor> model, Objective objective, CachedBatchSource data, IEvaluation? eval,
        Recipe recipe, int[] sampleShape, Device device)
    {
        (_model, _objective, _data, _eval, _recipe, _device) = (model, objective, data, eval, recipe, device);
        _sampleShape = sampleShape.Select(d => (long)d).ToArray();
    }

    /// <param name="outDir">Output directory (metrics, checkpoints, weights), or null for none.</param>
    public TrainResult Run(string? outDir, bool resume, TrainerEvents? events = null, CancellationToken ct = default)
    {
        events ??= new TrainerEvents();
        var clock = Stopwatch.StartNew();
        _model.to(_device);
        _model.train();
        var adapters = _objective.Adapters;
        adapters.train();
        using var optimizer = Optimizers.Create(_recipe, _model.parameters().Concat(adapters.parameters()));
        // Checkpoints hold the student alone (as before) or, with adapters, the student and its adapters together.
        using var trained = adapters.Count == 0 ? null : new StudentWithAdapters(_model, adapters);
        nn.Module checkpointed = trained is null ? _model : trained;
        var history = new List<EpochMetrics>();
        long step = 0;
        double elapsedBefore = 0;
        byte[]? bestWeights = null;   // the student's weights at the best epoch so far (kept with every checkpoint)
        RunOutputs? outputs = outDir is null ? null : new RunOutputs(outDir);
        if (resume)
        {
            if (outDir is null) throw new DistillException("--resume needs --out");
            // Killed before the first checkpoint: nothing to load, and starting over gives the same run.
            if (Checkpoint.LoadLatest(outDir, checkpointed, optimizer) is { } state)
            {
                history.AddRange(state.History);
                step = state.Step;
                elapsedBefore = state.ElapsedSeconds;
                if (BestEpoch.Of(history) is not null) bestWeights = Checkpoint.LoadBest(Checkpoint.Latest(outDir)!, state);
                events.Resumed?.Invoke(state.Epoch);
            }
            else events.Resumed?.Invoke(0);
        }
        outputs?.Start(history);
        long batches = _data.BatchesPerEpoch;
        _data.ReuseBuffers = true;
        using var staging = new BatchStaging(_recipe.Batch, _sampleShape, _data.Columns, _device);
        var columnNames = _data.Columns.Select(c => c.Name).ToArray();
        using var student = new StudentOutputs(_model, _objective.Taps);
        int minRows = _objective.MinBatchRows;
        bool dropReported = false;
        foreach (var note in _objective.Notes) events.Notice?.Invoke(note);   // what the cache's encoding approximates

        if (_recipe.EarlyStop > 0 && BestEpoch.Metric(history) is null && _eval is null && Validation is null)
            throw new DistillException("--early-stop needs an accuracy to watch: --val-fraction or a labelled test split");
        bool stopped = BestEpoch.ShouldStop(history, _recipe.EarlyStop);
        for (int epoch = history.Count + 1; epoch <= _recipe.Epochs && !stopped; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            var epochClock = Stopwatch.StartNew();
            events.EpochStarted?.Invoke(epoch, batches);
            // Loss sums stay on the device until the end of the epoch (reading them every step would wait for it).
            var sums = new Dictionary<string, Tensor>();
            long seen = 0, done = 0;
            double lr = _recipe.Lr;
            foreach (var b in _data.Epoch(epoch, ct))
            {
                ct.ThrowIfCancellationRequested();
                if (b.Rows < minRows)
                {
                    // Only an epoch's last batch can be this short: drop it rather than fail mid-epoch (said once).
                    if (!dropReported) events.Notice?.Invoke($"loss '{_objective.MinBatchLoss}' needs batches of at least {minRows} rows: each epoch's last batch of {b.Rows} row(s) is dropped");
                    dropReported = true;
                    done++;
                    continue;
                }
                using var scope = NewDisposeScope();
                lr = Schedules.LearningRate(_recipe, step, batches);
                Optimizers.SetLearningRate(optimizer, lr);
                var (x, y, columns) = staging.Load(b);
                var teacher = new Dictionary<string, Tensor>(columns.Length);
                for (int j = 0; j < columns.Length; j++) teacher[columnNames[j]] = columns[j];
                var result = _objective.Compute(student.Forward(x), teacher, y, epoch, Targets?.For(b, _device));
                optimizer.zero_grad();
                result.Total.backward();
                optimizer.step();
                Accumulate(sums, "loss", result.Total, b.Rows);
                foreach (var (k, v) in result.Terms) Accumulate(sums, k, v, b.Rows);
                seen += b.Rows; step++; done++;
                events.BatchDone?.Invoke(epoch, done);
            }
            var losses = sums.ToDictionary(kv => kv.Key, kv => kv.Value.item<double>() / seen);
            foreach (var t in sums.Values) t.Dispose();
            if (!double.IsFinite(losses["loss"])) throw new DistillException($"epoch {epoch}: the loss is not finite (lr {lr:g3} too high?)");
            double trainSeconds = epochClock.Elapsed.TotalSeconds;
            var test = _eval?.Evaluate(_model, _device) ?? new Dictionary<string, double>();
            var val = Validation?.Evaluate(_model, _device);
            var m = new EpochMetrics(epoch, losses, lr, test, trainSeconds, epochClock.Elapsed.TotalSeconds - trainSeconds)
            {
                Teacher = _eval?.Teacher ?? new Dictionary<string, double>(),
                ValAcc = Named(val, "test_acc"), ValTop5 = Named(val, "test_top5"), ValAgreement = Named(val, "agreement"),
            };
            history.Add(m);
            if (outDir is not null)
            {
                if (BestEpoch.Of(history)?.Epoch == epoch) bestWeights = Weights(_model);
                outputs!.Epoch(m, history);
                Checkpoint.Save(outDir, checkpointed, optimizer,
                    new Checkpoint.State(epoch, step, elapsedBefore + clock.Elapsed.TotalSeconds, history), bestWeights);
            }
            events.EpochDone?.Invoke(m);
            stopped = BestEpoch.ShouldStop(history, _recipe.EarlyStop);
        }
        if (stopped && history.Count < _recipe.Epochs)
            events.Notice?.Invoke($"stopped early after epoch {history[^1].Epoch}: {BestEpoch.Metric(history)} has not improved for {_recipe.EarlyStop} epochs (best: epoch {BestEpoch.Of(history)!.Epoch})");
        long parameters = _model.parameters().Sum(p => p.numel());
        double wall = elapsedBefore + clock.Elapsed.TotalSeconds;
        var bestEpoch = BestEpoch.Of(history);
        if (outDir is not null)
        {
            var last = Path.Combine(outDir, "model.dat");
            AtomicFile.Write(last, path => _model.save(path));
            Finishing?.Invoke(_model, outDir);
            if (bestEpoch is not null && bestWeights is not null) WriteBest(outDir, bestWeights, last);
            outputs!.Finish(history, _recipe, wall, parameters, TeacherSha256s, new RunEnd(Finishing is not null, stopped && history.Count < _recipe.Epochs));
        }
        return new TrainResult(history, wall, parameters) { Best = bestEpoch, StoppedEarly = stopped && history.Count < _recipe.Epochs };
    }

    /// <summary>The module's weights as TorchSharp's save writes them (a student is small: a few MB at most).</summary>
    private static byte[] Weights(nn.Module model)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true)) model.save(writer);
        return memory.ToArray();
    }

    /// <summary>
    /// OUT/best/: the best epoch's model.dat and, through <see cref="Finishing"/>, its export. The student is loaded
    /// with those weights for the export and given back the last epoch's (<paramref name="lastWeights"/>) after it.
    /// </summary>
    private void WriteBest(string outDir, byte[] bestWeights, string lastWeights)
    {
        var dir = Path.Combine(outDir, BestDirectory);
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw AtomicFile.Failed(dir, e); }
        var best = Path.Combine(dir, "model.dat");
        AtomicFile.WriteBytes(best, bestWeights);
        if (Finishing is null) return;
        _model.load(best);
        try { Finishing(_model, dir); }
        finally { _model.load(lastWeights); }
    }

    // sum += value · rows, in float64 on the value's device; the running sums live outside the batch's dispose scope.
    private static void Accumulate(Dictionary<string, Tensor> sums, string key, Tensor value, int rows)
    {
        using var weighted = value.detach().to_type(ScalarType.Float64) * rows;
        if (sums.TryGetValue(key, out var sum)) sum.add_(weighted);
        else sums[key] = weighted.clone().MoveToOuterDisposeScope();
    }

    /// <summary>The student and its adapters as one module for checkpoints (state_dict "student.…", "adapters.…").</summary>
    private sealed class StudentWithAdapters : nn.Module
    {
        public StudentWithAdapters(nn.Module student, AdapterSet adapters) : base("StudentWithAdapters")
        {
            register_module("student", student);
            register_module("adapters", adapters);
        }

        // The student is the caller's; disposing this wrapper must not dispose it.
        protected override void Dispose(bool disposing) { }
    }

    /// <summary>The held-out split is scored by the same evaluation as the test split; its metrics keep the test names.</summary>
    private static double? Named(IReadOnlyDictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var v) ? v : null;
}
