using Distill.Data;

namespace Distill.Teacher;

/// <summary>What <see cref="LogitPrecomputer"/> needs: teacher, data, preprocessing, output and how to run.</summary>
public sealed record PrecomputeRequest
{
    public required string TeacherPath { get; init; }
    public required IDataset Dataset { get; init; }
    public required Preprocessing Preprocessing { get; init; }
    public required string OutputDirectory { get; init; }
    public string? InputName { get; init; }
    public string? OutputName { get; init; }
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;
    public int BatchSize { get; init; } = 256;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; init; }
    public int RowGroupSize { get; init; } = 2048;
    public bool Overwrite { get; init; }
    /// <summary>Only the first N samples (0 = all); for quick checks.</summary>
    public int Limit { get; init; }
    public string CommandLine { get; init; } = "";
    /// <summary>Which contiguous slice of the split this run caches (its own part file).</summary>
    public Distill.Cache.ShardSpec Shard { get; init; } = Distill.Cache.ShardSpec.Whole;
    /// <summary>Continue an interrupted run from its last complete row group.</summary>
    public bool Resume { get; init; }
    /// <summary>float32 (default), float16, or top-K with the full log-sum-exp.</summary>
    public Distill.Cache.CacheEncoding Encoding { get; init; } = Distill.Cache.CacheEncoding.Float32;
}

/// <summary>What a finished run measured.</summary>
public sealed record PrecomputeResult(
    string File, long Samples, int ClassCount, double Seconds, long FileBytes, double? Accuracy, string Device,
    long ComputedSamples = -1)
{
    /// <summary>Samples the teacher ran on in this invocation (fewer than <see cref="Samples"/> after --resume).</summary>
    public long Computed => ComputedSamples < 0 ? Samples : ComputedSamples;
    public double ImagesPerSecond => Computed / Math.Max(Seconds, 1e-9);
    public double BytesPerSample => (double)FileBytes / Math.Max(Samples, 1);
}
