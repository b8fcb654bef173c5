using Distill.Data;

namespace Distill.Teacher;

/// <summary>What <see cref="LogitPrecomputer"/> needs: teacher, data, preprocessing, output and how to run.</summary>
public sealed record PrecomputeRequest
{
    /// <summary>The teacher (or the first of several, see <see cref="TeacherPaths"/>).</summary>
    public string TeacherPath { get; init; } = "";
    /// <summary>Several teachers (an ensemble); when set, <see cref="TeacherPath"/> is ignored.</summary>
    public IReadOnlyList<string>? TeacherPaths { get; init; }
    public IReadOnlyList<string> AllTeacherPaths => TeacherPaths is { Count: > 0 } ? TeacherPaths : new[] { TeacherPath };
    /// <summary>How several teachers are stored: separate (default), mean or mean-prob (see <see cref="TeacherEnsemble"/>).</summary>
    public string? Ensemble { get; init; }
    public required IDataset Dataset { get; init; }
    public required Preprocessing Preprocessing { get; init; }
    public required string OutputDirectory { get; init; }
    public string? InputName { get; init; }
    /// <summary>The output to cache (default: the one shaped [batch, C]).</summary>
    public string? OutputName { get; init; }
    /// <summary>Several outputs to cache, the first being the logits; when set, <see cref="OutputName"/> is ignored.</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }
    public IReadOnlyList<string>? AllOutputNames => OutputNames is { Count: > 0 } ? OutputNames : OutputName is null ? null : new[] { OutputName };
    /// <summary>Augmented views per sample (each its own row), made by <see cref="Augment"/>.</summary>
    public int Views { get; init; } = 1;
    public Augmentation Augment { get; init; } = Augmentation.None;
    /// <summary>Seed of the per-(sample, view) augmentation parameters.</summary>
    public int AugmentSeed { get; init; }
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;
    public int BatchSize { get; init; } = 256;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; }
    public int RowGroupSize { get; init; } = 2048;
    public bool Overwrite { get; init; }
    /// <summary>Only the first N samples (0 = all); for quick checks.</summary>
    public int Limit { get; init; }
    public string CommandLine { get; init; } = "";
    /// <summary>The teacher card's class names and task, recorded in the cache's metadata (null / "" when unknown).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    public string Task { get; init; } = "";
    /// <summary>
    /// The teacher card's YOLO-style detection outputs by output name (<see cref="TeacherCard.DetectionHeads"/>): each
    /// one cached is recorded with its anchors and grid in the cache's metadata. Applies to the first teacher's outputs.
    /// </summary>
    public IReadOnlyDictionary<string, DetectionHead>? DetectionHeads { get; init; }
    /// <summary>Which contiguous slice of the split this run caches (its own part file).</summary>
    public Distill.Cache.ShardSpec Shard { get; init; } = Distill.Cache.ShardSpec.Whole;
    /// <summary>Continue an interrupted run from its last complete row group.</summary>
    public bool Resume { get; init; }
    /// <summary>How outputs are stored: float32 (default) or float16 per column, top-K class logits, compression.</summary>
    public Distill.Cache.CacheEncoding Encoding { get; init; } = Distill.Cache.CacheEncoding.Float32;

    /// <summary>The largest --batch: six batches of samples are in flight at once.</summary>
    public const int MaxBatch = 65_536;
    /// <summary>The largest --row-group in rows; a row group also holds at most <see cref="MaxRowGroupValues"/>.</summary>
    public const int MaxRowGroupRows = 1 << 20;
    /// <summary>Values (floats) one row group may hold: what a reader accepts (1 GiB of float32).</summary>
    public const long MaxRowGroupValues = 1L << 28;

    /// <summary>Checks every numeric setting once, each with one line naming its flag.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new DistillException("--out must name a directory");
        if (BatchSize < 1) throw new DistillException($"--batch must be positive, got {BatchSize}");
        if (BatchSize > MaxBatch) throw new DistillException($"--batch must be at most {MaxBatch}, got {BatchSize}");
        if (Threads != 0) ThreadLimit.Check(Threads, "--threads");
        if (RowGroupSize < 1 || RowGroupSize > MaxRowGroupRows)
            throw new DistillException($"--row-group must be between 1 and {MaxRowGroupRows} rows, got {RowGroupSize}");
        if (Limit < 0) throw new DistillException($"--limit must be 0 (all samples) or positive, got {Limit}");
        if (Resume && Overwrite) throw new DistillException("--resume and --overwrite exclude each other");
        if (Views < 1 || Views > 1024) throw new DistillException($"--views must be between 1 and 1024, got {Views}");
        if (Views > 1 && Augment.IsNone) throw new DistillException("--views needs --augment (identical views would be cached)");
        if (!double.IsFinite(Preprocessing.Scale) || Preprocessing.Scale == 0)
            throw new DistillException($"the preprocessing scale (--scale or the teacher card's) must be a finite nonzero number, got {Preprocessing.Scale}");
        if (Preprocessing.Mean.Any(m => !double.IsFinite(m))) throw new DistillException($"the preprocessing mean (--mean or the teacher card's) must be finite numbers, got {Preprocessing}");
        if (Preprocessing.Std.Any(v => !double.IsFinite(v) || v <= 0)) throw new DistillException($"the preprocessing std (--std or the teacher card's) must be positive finite numbers, got {Preprocessing}");
    }
}

/// <summary>What a finished run measured.</summary>
public sealed record PrecomputeResult(
    string File, long Samples, int ClassCount, double Seconds, long FileBytes, double? Accuracy, string Device,
    long ComputedSamples = -1)
{
    /// <summary>Samples the teacher ran on in this invocation (fewer than <see cref="Samples"/> after --resume).</summary>
    public long Computed => ComputedSamples < 0 ? Samples : ComputedSamples;
    public double ImagesPerSecond => Computed / Math.Max(Seconds, 1e-9);
    public double BytesPerSample => Samples == 0 ? 0 : (double)FileBytes / Samples;
    /// <summary>Busy time of each pipeline stage, to see which one bounds the throughput.</summary>
    public StageSeconds? Stages { get; init; }
    /// <summary>Shards of the cache still to be computed (empty: the cache is complete and installed).</summary>
    public IReadOnlyList<Distill.Cache.ShardSpec> MissingShards { get; init; } = Array.Empty<Distill.Cache.ShardSpec>();
}

/// <summary>Seconds each stage worked: read + preprocess, inference, Parquet writes, and the final merge.</summary>
public sealed record StageSeconds(double Read, double Infer, double Write, double Finish)
{
    public override string ToString() => FormattableString.Invariant($"read {Read:F2} s, infer {Infer:F2} s, write {Write:F2} s, finish {Finish:F2} s");
}
