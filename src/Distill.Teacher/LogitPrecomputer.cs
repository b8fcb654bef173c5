using System.Diagnostics;
using System.Threading.Channels;
using Distill.Cache;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Runs the teacher over a dataset split and writes the logits cache. Three stages pass a small pool of reused batch
/// buffers through bounded channels: read + preprocess → ONNX Runtime → Parquet. They overlap on a GPU or with cores
/// to spare; on the CPU with ONNX Runtime on every core they take turns (<see cref="CoreTurns"/>).
/// </summary>
public static class LogitPrecomputer
{
    // Enough batches in flight that a slow write (a new segment file) does not stall the device.
    private const int SlotsInFlight = 6;

    /// <summary>The card's detection heads by the column that stores each (first teacher's outputs), checked against their shapes.</summary>
    private static Dictionary<string, DetectionHead>? DetectionColumns(IReadOnlyDictionary<string, DetectionHead>? heads, IReadOnlyList<CacheOutput> outputs)
    {
        if (heads is null) return null;
        var byColumn = new Dictionary<string, DetectionHead>();
        foreach (var o in outputs.Where(o => o.Teacher == 0))
        {
            if (!heads.TryGetValue(o.Name, out var head)) continue;
            if (head.ShapeProblem(o.Shape) is { } why)
                throw new DistillException($"the teacher card's detection output '{o.Name}' does not fit the model: {why}");
            byColumn[o.Column] = head;
        }
        return byColumn.Count > 0 ? byColumn : null;
    }

    /// <param name="progress">Called with the number of samples written so far.</param>
    /// <param name="warn">Receives one-line warnings (e.g. the CUDA fallback).</param>
    public static async Task<PrecomputeResult> RunAsync(PrecomputeRequest req, Action<long>? progress = null,
        Action<string>? warn = null, CancellationToken ct = default)
    {
        req.Validate();
        var data = req.Dataset;
        if (data.Count == 0) throw new DistillException($"dataset {data.Name} {data.Split} is empty");
        int views = req.Views;
        if (!req.Augment.IsNone && data.SampleShape.Length != 3)
            throw new DistillException($"--augment needs image samples [C,H,W]; {data.Name} has [{string.Join(",", data.SampleShape)}]");
        using var teachers = TeacherEnsemble.Open(req.AllTeacherPaths, req.Ensemble, data.SampleShape, req.InputName,
            req.AllOutputNames, req.Device, req.Threads, warn ?? (_ => { }));
        var primary = teachers.Teachers[0];
        int batch = teachers.FixedBatch ?? req.BatchSize;
        if (teachers.FixedBatch is int fb && req.BatchSize != fb && req.BatchSize != 256)
            warn?.Invoke($"warning: teacher has a fixed batch of {fb}; using it instead of --batch {req.BatchSize}");
        int classes = teachers.ClassCount, sampleSize = data.SampleSize(), channels = data.SampleShape[0];
        bool classifier = teachers.Outputs[0].Shape.Length == 1;
        var codecs = req.Encoding.CodecsFor(teachers.Outputs, classes, data.HasLabels);
        if (classifier && req.ClassNames is { } names && names.Count != classes)
            throw new DistillException($"the teacher card lists {names.Count} classes but the teacher outputs {classes}");
        if (classifier && data.ClassCount is int k && k > classes)
            throw new DistillException($"teacher outputs {classes} classes but {data.Name} has labels up to {k - 1}");

        var metadata = new CacheMetadata
        {
            TeacherFile = primary.FileName,
            TeacherSha256 = primary.Sha256,
            Teachers = teachers.Teachers.Select(t => new TeacherRef(t.FileName, t.Sha256)).ToArray(),
            Ensemble = teachers.Mode,
            Outputs = teachers.Outputs,
            ClassCount = classes,
            DatasetName = data.Name,
            Split = data.Split,
            DatasetCount = data.Count,
            Fingerprint = data.Fingerprint,
            SampleShape = data.SampleShape,
            Preprocessing = req.Preprocessing,
            InputName = primary.InputName,
            OnnxRuntimeVersion = SessionFactory.OnnxRuntimeVersion(),
            HasLabels = data.HasLabels,
            Shard = req.Shard.ToString(),
            Limit = req.Limit < data.Count ? req.Limit : 0,
            Codecs = codecs,
            Compression = req.Encoding.ResolvedCompression,
            Views = views,
            Augment = req.Augment.ToString(),
            AugmentSeed = req.Augment.IsNone ? 0 : req.AugmentSeed,
            CommandLine = req.CommandLine,
            ClassNames = req.ClassNames,
            Task = req.Task,
            Detection = DetectionColumns(req.DetectionHeads, teachers.Outputs),
        };

        // Rows are (sample, view) pairs, numbered sample × views + view; a shard is a slice of samples.
        var (firstRow, endRow) = metadata.RowRange;
        int rowGroup = Math.Max(batch, req.RowGroupSize / batch * batch);
        long groupValues = (long)rowGroup * metadata.Outputs.Sum(o => (long)o.Width);
        if (groupValues > PrecomputeRequest.MaxRowGroupValues)
            throw new DistillException($"--row-group {rowGroup} × {groupValues / rowGroup} values per row exceeds {PrecomputeRequest.MaxRowGroupValues:N0} values per row group; use a smaller --row-group");
        // One owner per output directory, before anything there is read, deleted or written.
        await using var session = CacheWriteSession.Begin(req.OutputDirectory, req.Shard, req.Resume, req.Overwrite);
        try { await session.StartAsync(metadata, rowGroup, ct); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new DistillException($"writing the cache to {req.OutputDirectory} failed: {e.Message}", e); }
        if (session.AlreadyComplete)
        {
            var finished = await session.CompleteAsync(ct);
            return new PrecomputeResult(finished.PartFile, endRow - firstRow, classes, 0, new FileInfo(finished.PartFile).Length, null,
                primary.Device, 0) { MissingShards = finished.MissingShards };
        }
        var slots = Enumerable.Range(0, SlotsInFlight).Select(_ => new BatchSlot(batch, sampleSize, teachers)).ToList();
        // On the CPU with ONNX Runtime's threads on every core, the three stages take turns on the cores (CoreTurns).
        using var turns = CoreTurns.For(primary.Device, req.Threads);
        var free = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        var read = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        var done = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        foreach (var s in slots) free.Writer.TryWrite(s);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = cts.Token;
        long resumedAt = session.ResumeRow, readTicks = 0, inferTicks = 0, writeTicks = 0, finishTicks = 0;
        var clock = Stopwatch.StartNew();
        CacheWriteResult written;
        try
        {
            if (resumedAt > firstRow) warn?.Invoke($"resuming at row {resumedAt:N0} ({resumedAt - firstRow:N0} of {endRow - firstRow:N0} already cached)");

            var reader = Task.Run(async () =>
            {
                try
                {
                    var raw = views > 1 || !req.Augment.IsNone ? new float[(batch + 1) * sampleSize] : null;
                    using var turn = turns?.ForStage();
                    for (long start = resumedAt; start < endRow; start += batch)
                    {
                        var slot = await free.Reader.ReadAsync(token);
                        int n = (int)Math.Min(batch, endRow - start);
                        slot.Count = n;
                        if (turn != null) await turn.TakeAsync(token);
                        long t0 = Stopwatch.GetTimestamp();
                        Read(slot, start, n, raw);
                        readTicks += Stopwatch.GetTimestamp() - t0;
                        turn?.Yield(moreQueued: start + batch < endRow && free.Reader.TryPeek(out _));
                        await read.Writer.WriteAsync(slot, token);
                    }
                    read.Writer.Complete();
                }
                catch (Exception e) { read.Writer.Complete(e); throw; }
            }, token);

            // Read + preprocess one batch into its slot (the reader stage's work, timed as "read").
            void Read(BatchSlot slot, long start, int n, float[]? raw)
            {
                var input = slot.Input.AsSpan(0, n * sampleSize);
                if (raw == null) data.ReadSamples((int)start, n, input);
                else ReadViews(data, req.Augment, req.AugmentSeed, views, start, n, raw, input, slot);
                for (int i = 0; i < n; i++)
                {
                    req.Preprocessing.Apply(input.Slice(i * sampleSize, sampleSize), channels);
                    long sample = (start + i) / views;
                    slot.Index[i] = sample;
                    if (data.HasLabels) slot.Labels[i] = data.GetLabel((int)sample);
                }
                // A fixed-batch model gets the last batch padded with zeros; only n rows are kept.
                if (n < batch && teachers.FixedBatch != null) slot.Input.AsSpan(n * sampleSize).Clear();
            }

            var infer = Task.Run(async () =>
            {
                try
                {
                    using var runOptions = new RunOptions();
                    using var turn = turns?.ForStage();
                    await foreach (var slot in read.Reader.ReadAllAsync(token))
                    {
                        int rows = teachers.FixedBatch != null ? batch : slot.Count;
                        if (turn != null) await turn.TakeAsync(token);
                        long t0 = Stopwatch.GetTimestamp();
                        for (int t = 0; t < teachers.Teachers.Count; t++)
                        {
                            try { slot.Run(t, runOptions, rows); }
                            catch (OnnxRuntimeException e)
                            {
                                throw new DistillException($"teacher {teachers.Teachers[t].FileName} failed on samples {slot.Index[0]}..{slot.Index[slot.Count - 1]}: {e.Message.Split('\n')[0].Trim()}", e);
                            }
                            CheckFinite(slot, t, teachers.Teachers[t]);
                        }
                        inferTicks += Stopwatch.GetTimestamp() - t0;
                        turn?.Yield(moreQueued: read.Reader.TryPeek(out _));
                        await done.Writer.WriteAsync(slot, token);
                    }
                    done.Writer.Complete();
                }
                catch (Exception e) { done.Writer.Complete(e); throw; }
            }, token);

            long rowsDone = resumedAt - firstRow;
            try
            {
                using var writeTurn = turns?.ForStage();
                await foreach (var slot in done.Reader.ReadAllAsync(token))
                {
                    int n = slot.Count;
                    if (writeTurn != null) await writeTurn.TakeAsync(token);
                    long t0 = Stopwatch.GetTimestamp();
                    var columns = teachers.Columns(slot.Raw, n, slot.Averaged);
                    bool hasViews = metadata.HasViews;
                    await session.WriteAsync(new LogitBatch
                    {
                        Rows = n, ClassCount = classes, Width = metadata.Width, Index = slot.Index,
                        Labels = data.HasLabels ? slot.Labels : null, Logits = columns[0], Extra = columns.Skip(1).ToArray(),
                        Views = hasViews ? slot.Views : null, CropX = hasViews ? slot.CropX : null,
                        CropY = hasViews ? slot.CropY : null, Flip = hasViews ? slot.Flip : null,
                    }, token);
                    writeTicks += Stopwatch.GetTimestamp() - t0;
                    writeTurn?.Yield(moreQueued: done.Reader.TryPeek(out _));
                    rowsDone += n;
                    progress?.Invoke(rowsDone);
                    await free.Writer.WriteAsync(slot, token);
                }
                await Task.WhenAll(reader, infer);
                long f0 = Stopwatch.GetTimestamp();
                written = await session.CompleteAsync(token);
                finishTicks = Stopwatch.GetTimestamp() - f0;
            }
            catch
            {
                cts.Cancel();
                await Task.WhenAll(reader, infer).ContinueWith(_ => { }, TaskScheduler.Default);
                // Prefer the stage's own error over the cancellation it caused elsewhere.
                var failure = new[] { reader, infer }.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault();
                if (failure != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                throw;
            }
        }
        catch (IOException e)
        {
            throw new DistillException($"writing the cache to {req.OutputDirectory} failed: {e.Message}", e);
        }
        finally
        {
            foreach (var s in slots) s.Dispose();
        }
        clock.Stop();
        long rowCount = endRow - firstRow;
        // Accuracy over this run's rows (resumed rows included: the part writer counts the rows it copies).
        return new PrecomputeResult(written.PartFile, rowCount, classes, clock.Elapsed.TotalSeconds, new FileInfo(written.PartFile).Length,
            data.HasLabels && classifier && rowCount > 0 ? (double)written.Correct / rowCount : null, primary.Device, endRow - resumedAt)
        {
            MissingShards = written.MissingShards,
            Stages = new StageSeconds(Stopwatch.GetElapsedTime(0, readTicks).TotalSeconds, Stopwatch.GetElapsedTime(0, inferTicks).TotalSeconds,
                Stopwatch.GetElapsedTime(0, writeTicks).TotalSeconds, Stopwatch.GetElapsedTime(0, finishTicks).TotalSeconds),
        };
    }

    private static void CheckFinite(BatchSlot slot, int t, TeacherModel teacher)
    {
        for (int j = 0; j < teacher.OutputShapes.Count; j++)
        {
            int width = teacher.OutputWidths[j];
            var o = slot.Raw[t][j].AsSpan(0, slot.Count * width);
            for (int i = 0; i < o.Length; i++)
                if (!float.IsFinite(o[i]))
                    throw new DistillException(
                        $"teacher{(t > 0 ? " " + teacher.FileName : "")} produced {(float.IsNaN(o[i]) ? "NaN" : "Inf")} {(j == 0 ? "logits" : $"'{teacher.OutputNames[j]}' values")} for sample {slot.Index[i / width]} ({(j == 0 && teacher.OutputShapes[j].Length == 1 ? "class" : "value")} {i % width})");
        }
    }

    // Rows [start, start + n) are (sample, view) pairs: each view is its sample with the augmentation of (seed, sample, view).
    private static void ReadViews(IDataset data, Augmentation augment, int seed, int views, long start, int n,
        float[] raw, Span<float> input, BatchSlot slot)
    {
        int size = data.SampleSize();
        long firstSample = start / views, lastSample = (start + n - 1) / views;
        int samples = (int)(lastSample - firstSample + 1);
        var source = raw.AsSpan(0, samples * size);
        data.ReadSamples((int)firstSample, samples, source);
        ReadOnlySpan<float> zero = stackalloc float[] { 0f };
        for (int i = 0; i < n; i++)
        {
            long row = start + i, sample = row / views;
            int view = (int)(row % views);
            var p = augment.ParamsFor(seed, sample, view);
            slot.Views[i] = view; slot.CropX[i] = p.CropX; slot.CropY[i] = p.CropY; slot.Flip[i] = p.Flip ? 1 : 0;
            augment.Apply(source.Slice((int)(sample - firstSample) * size, size), input.Slice(i * size, size), data.SampleShape, p, zero);
        }
    }
}
