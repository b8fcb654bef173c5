using System.Diagnostics;
using System.Threading.Channels;
using Distill.Cache;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Teacher;

/// <summary>
/// Runs the teacher over a dataset split and writes the logits cache. Three stages overlap through bounded channels
/// over a small pool of reused batch buffers: read + preprocess → ONNX Runtime → Parquet.
/// </summary>
public static class LogitPrecomputer
{
    private const int SlotsInFlight = 3;

    /// <param name="progress">Called with the number of samples written so far.</param>
    /// <param name="warn">Receives one-line warnings (e.g. the CUDA fallback).</param>
    public static async Task<PrecomputeResult> RunAsync(PrecomputeRequest req, Action<long>? progress = null,
        Action<string>? warn = null, CancellationToken ct = default)
    {
        if (req.BatchSize <= 0) throw new DistillException($"--batch must be positive, got {req.BatchSize}");
        var data = req.Dataset;
        int total = req.Limit > 0 ? Math.Min(req.Limit, data.Count) : data.Count;
        if (total == 0) throw new DistillException($"dataset {data.Name} {data.Split} is empty");
        var (first, end) = req.Shard.Range(total);
        if (end <= first) throw new DistillException($"shard {req.Shard} of {total} samples is empty");
        CheckOutputDirectory(req.OutputDirectory, req.Overwrite || req.Resume, req.Shard);

        using var teacher = TeacherModel.Open(req.TeacherPath, data.SampleShape, req.InputName, req.OutputName,
            req.Device, req.Threads, warn ?? (_ => { }));
        int batch = teacher.FixedBatch ?? req.BatchSize;
        if (teacher.FixedBatch is int fb && req.BatchSize != fb && req.BatchSize != 256)
            warn?.Invoke($"warning: teacher has a fixed batch of {fb}; using it instead of --batch {req.BatchSize}");
        int classes = teacher.ClassCount, sampleSize = data.SampleSize(), channels = data.SampleShape[0];
        if (req.Encoding.TopK > classes) throw new DistillException($"--top-k {req.Encoding.TopK} exceeds the teacher's {classes} classes");
        if (data.ClassCount is int k && k > classes)
            throw new DistillException($"teacher outputs {classes} classes but {data.Name} has labels up to {k - 1}");

        var metadata = new CacheMetadata
        {
            TeacherFile = Path.GetFileName(req.TeacherPath),
            TeacherSha256 = teacher.Sha256,
            Outputs = new[] { new CacheOutput(teacher.OutputName, "logits", new[] { classes }) },
            ClassCount = classes,
            DatasetName = data.Name,
            Split = data.Split,
            DatasetCount = data.Count,
            Fingerprint = data.Fingerprint,
            SampleShape = data.SampleShape,
            Preprocessing = req.Preprocessing,
            InputName = teacher.InputName,
            OnnxRuntimeVersion = SessionFactory.OnnxRuntimeVersion(),
            HasLabels = data.HasLabels,
            Shard = req.Shard.ToString(),
            Dtype = req.Encoding.Dtype,
            TopK = req.Encoding.TopK,
            CommandLine = req.CommandLine,
        };

        int rowGroup = Math.Max(batch, req.RowGroupSize / batch * batch);
        if (req.Resume && await AlreadyCompleteAsync(req.OutputDirectory, req.Shard, metadata) is { } complete)
            return complete with { Device = teacher.Device };
        var slots = Enumerable.Range(0, SlotsInFlight)
            .Select(_ => new BatchSlot(batch, sampleSize, classes, teacher.BatchShape)).ToList();
        var free = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        var read = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        var done = Channel.CreateBounded<BatchSlot>(SlotsInFlight);
        foreach (var s in slots) free.Writer.TryWrite(s);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = cts.Token;
        long correct = 0, resumedAt;
        var clock = Stopwatch.StartNew();
        string file;
        try
        {
            await using var writer = await CachePartWriter.OpenAsync(req.OutputDirectory, metadata, req.Shard.PartIndex,
                first, end, rowGroup, req.Resume, req.Overwrite, token);
            resumedAt = writer.ResumeRow;
            if (resumedAt > first) warn?.Invoke($"resuming at sample {resumedAt:N0} ({resumedAt - first:N0} of {end - first:N0} already cached)");

            var reader = Task.Run(async () =>
            {
                try
                {
                    for (int start = (int)resumedAt; start < end; start += batch)
                    {
                        var slot = await free.Reader.ReadAsync(token);
                        int n = Math.Min(batch, end - start);
                        slot.Start = start; slot.Count = n;
                        var input = slot.Input.AsSpan(0, n * sampleSize);
                        data.ReadSamples(start, n, input);
                        for (int i = 0; i < n; i++)
                        {
                            req.Preprocessing.Apply(input.Slice(i * sampleSize, sampleSize), channels);
                            slot.Index[i] = start + i;
                            if (data.HasLabels) slot.Labels[i] = data.GetLabel(start + i);
                        }
                        // A fixed-batch model gets the last batch padded with zeros; only n rows are kept.
                        if (n < batch && teacher.FixedBatch != null) slot.Input.AsSpan(n * sampleSize).Clear();
                        await read.Writer.WriteAsync(slot, token);
                    }
                    read.Writer.Complete();
                }
                catch (Exception e) { read.Writer.Complete(e); throw; }
            }, token);

            var infer = Task.Run(async () =>
            {
                try
                {
                    using var runOptions = new RunOptions();
                    var inNames = new[] { teacher.InputName };
                    var outNames = new[] { teacher.OutputName };
                    await foreach (var slot in read.Reader.ReadAllAsync(token))
                    {
                        int rows = teacher.FixedBatch != null ? batch : slot.Count;
                        try { slot.Run(teacher.Session, runOptions, inNames, outNames, rows); }
                        catch (OnnxRuntimeException e)
                        {
                            throw new DistillException($"teacher failed on samples {slot.Start}..{slot.Start + slot.Count - 1}: {e.Message.Split('\n')[0].Trim()}", e);
                        }
                        CheckFinite(slot, classes);
                        await done.Writer.WriteAsync(slot, token);
                    }
                    done.Writer.Complete();
                }
                catch (Exception e) { done.Writer.Complete(e); throw; }
            }, token);

            long written = resumedAt - first;
            try
            {
                await foreach (var slot in done.Reader.ReadAllAsync(token))
                {
                    int n = slot.Count;
                    await writer.WriteAsync(slot.Index.AsMemory(0, n), data.HasLabels ? slot.Labels.AsMemory(0, n) : default,
                        slot.Output.AsMemory(0, n * classes), token);
                    written += n;
                    progress?.Invoke(written);
                    await free.Writer.WriteAsync(slot, token);
                }
                await Task.WhenAll(reader, infer);
                (file, correct) = await writer.CompleteAsync(token);
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
        if (req.Shard.N == 1) RemoveStaleParts(req.OutputDirectory, file);
        int rows = end - first;
        return new PrecomputeResult(file, rows, classes, clock.Elapsed.TotalSeconds, new FileInfo(file).Length,
            data.HasLabels ? (double)correct / rows : null, teacher.Device, end - resumedAt);
    }

    // --resume on a part that finished (and whose work folder is gone) has nothing left to do.
    private static async Task<PrecomputeResult?> AlreadyCompleteAsync(string dir, ShardSpec shard, CacheMetadata meta)
    {
        var part = Path.Combine(dir, $"part-{shard.PartIndex:00000}.parquet");
        if (!File.Exists(part) || Directory.Exists(CachePartWriter.WorkDirectoryFor(dir, shard.PartIndex))) return null;
        using var existing = await LogitCacheReader.OpenAsync(part);
        if (!existing.Metadata.SameCacheAs(meta))
            throw new DistillException($"{part} was made with another teacher, data or preprocessing; pass --overwrite to replace it");
        return new PrecomputeResult(part, existing.RowCount, meta.ClassCount, 0, new FileInfo(part).Length, null, "", 0);
    }

    private static void CheckOutputDirectory(string dir, bool replaceOrResume, ShardSpec shard)
    {
        if (File.Exists(dir)) throw new DistillException($"output {dir} is a file, expected a directory");
        if (replaceOrResume || !Directory.Exists(dir)) return;
        // Other shards' parts are expected in a sharded cache; this shard's own part is not.
        bool taken = shard.N == 1 ? Directory.EnumerateFiles(dir, "part-*.parquet").Any()
            : File.Exists(Path.Combine(dir, $"part-{shard.PartIndex:00000}.parquet"));
        if (taken) throw new DistillException($"{dir} already holds a cache (pass --overwrite to replace it)");
    }

    // After a successful --overwrite, parts of an older cache (e.g. from a sharded run) must not mix with ours.
    private static void RemoveStaleParts(string dir, string keep)
    {
        foreach (var f in Directory.EnumerateFiles(dir, "part-*.parquet"))
            if (Path.GetFullPath(f) != Path.GetFullPath(keep)) File.Delete(f);
    }

    private static void CheckFinite(BatchSlot slot, int classes)
    {
        var o = slot.Output.AsSpan(0, slot.Count * classes);
        for (int i = 0; i < o.Length; i++)
            if (!float.IsFinite(o[i]))
                throw new DistillException(
                    $"teacher produced {(float.IsNaN(o[i]) ? "NaN" : "Inf")} logits for sample {slot.Start + i / classes} (class {i % classes})");
    }
}
