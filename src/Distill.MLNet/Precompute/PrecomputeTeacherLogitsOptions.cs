using Distill.Cache;
using Distill.Data;
using Distill.Teacher;

namespace Distill.MLNet.Precompute;

/// <summary>
/// What <c>mlContext.Transforms.PrecomputeTeacherLogits</c> needs; the fields mirror precompute-logits' flags and
/// become a <see cref="PrecomputeRequest"/> in one place (<see cref="PrecomputeTeacherLogitsEstimator"/>).
/// </summary>
public sealed class PrecomputeTeacherLogitsOptions
{
    /// <summary>The ONNX teacher; its card (same name, .json) supplies preprocessing and class names.</summary>
    public required string TeacherPath { get; set; }
    /// <summary>The samples: a fixed-size Single or Byte vector of raw values (before preprocessing, e.g. pixels 0..255).</summary>
    public string InputColumnName { get; set; } = "Features";
    /// <summary>The labels (a key or a whole number), recorded in the cache; null for data without labels.</summary>
    public string? LabelColumnName { get; set; } = "Label";
    /// <summary>The cache directory to write.</summary>
    public required string OutputDirectory { get; set; }
    /// <summary>The split the data stands for, recorded in the cache (train-student checks it).</summary>
    public string Split { get; set; } = "train";
    /// <summary>One sample's shape, channels first (e.g. [1, 28, 28]); default: the column's vector dimensions.</summary>
    public int[]? SampleShape { get; set; }
    /// <summary>x = (raw·scale − mean[c]) / std[c]; default: the teacher card's, else scale 1/255, mean 0, std 1.</summary>
    public Preprocessing? Preprocessing { get; set; }
    /// <summary>The model input to feed when it has several.</summary>
    public string? InputName { get; set; }
    /// <summary>Outputs to cache, the first in <c>logits</c>; default: the card's output, else the one shaped [N, C].</summary>
    public IReadOnlyList<string>? OutputNames { get; set; }
    public ExecutionDevice Device { get; set; } = ExecutionDevice.Auto;
    public int BatchSize { get; set; } = 256;
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose.</summary>
    public int Threads { get; set; }
    public CacheEncoding Encoding { get; set; } = CacheEncoding.Float32;
    public int RowGroupSize { get; set; } = 2048;
    /// <summary>Only the first N rows (0: all).</summary>
    public int Limit { get; set; }
    /// <summary>Replace an existing cache (the old one stays until the new one is complete).</summary>
    public bool Overwrite { get; set; }
}
