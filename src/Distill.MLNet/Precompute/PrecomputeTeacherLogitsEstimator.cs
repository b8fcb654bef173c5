using Distill.Cache;
using Distill.Data;
using Distill.MLNet.Cache;
using Distill.MLNet.Data;
using Distill.Teacher;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Distill.MLNet.Precompute;

/// <summary>
/// <c>mlContext.Transforms.PrecomputeTeacherLogits</c>: <see cref="Fit"/> runs the ONNX teacher once over the input
/// column and writes a logits cache with the same code as precompute-logits (<see cref="LogitPrecomputer"/>, reading
/// the column through <see cref="DataViewDataset"/>), reporting through the MLContext's log. The fitted transformer
/// holds the cache: it appends the teacher's outputs to the rows they were computed from, without running the teacher
/// again, and <see cref="TeacherLogitsTransformer.Cache"/> is the cache as an IDataView.
/// </summary>
public sealed class PrecomputeTeacherLogitsEstimator : IEstimator<TeacherLogitsTransformer>
{
    private readonly IHost _host;
    private readonly PrecomputeTeacherLogitsOptions _options;

    internal PrecomputeTeacherLogitsEstimator(IHostEnvironment env, PrecomputeTeacherLogitsOptions options)
    {
        _host = env.Register(nameof(PrecomputeTeacherLogitsEstimator));
        _options = options;
    }

    public TeacherLogitsTransformer Fit(IDataView input)
    {
        var o = _options;
        // Before the data is scanned: what needs no data.
        if (!File.Exists(o.TeacherPath)) throw new DistillException($"teacher {o.TeacherPath} not found");
        if (!o.Overwrite && Directory.Exists(o.OutputDirectory) && Directory.EnumerateFiles(o.OutputDirectory, CacheSchema.PartPattern).Any())
            throw new DistillException($"{o.OutputDirectory} already holds a cache (set Overwrite to replace it, or read it with LoadFromLogitCache)");
        var (dataset, owned) = DatasetOf.Resolve(input, o.InputColumnName, o.LabelColumnName, o.Split, o.SampleShape);
        using (owned)
        {
            var request = Request(dataset);
            using var ch = _host.Start("PrecomputeTeacherLogits");
            int total = o.Limit > 0 ? Math.Min(o.Limit, dataset.Count) : dataset.Count;
            ch.Info($"teacher {Path.GetFileName(o.TeacherPath)} on {dataset.Name} ({total:N0} samples), {request.Preprocessing}");
            long reported = 0;
            var result = LogitPrecomputer.RunAsync(request,
                written => { if (written * 10 / total > reported * 10 / total) { reported = written; ch.Info($"{written:N0} of {total:N0} samples cached"); } },
                warning => ch.Warning(MessageSensitivity.None, warning)).GetAwaiter().GetResult();
            ch.Info($"{result.Samples:N0} × {result.ClassCount} logits on {result.Device}, {result.ImagesPerSecond:N0} img/s, {result.FileBytes:N0} bytes"
                + (result.Accuracy is double a ? FormattableString.Invariant($", teacher top-1 {a:F4}") : ""));
        }
        var cache = LogitCacheDataView.Load(o.OutputDirectory);
        return new TeacherLogitsTransformer(cache, input, o);
    }

    /// <summary>The options as the tool's request: the teacher card supplies what the options leave out, as in precompute-logits.</summary>
    private PrecomputeRequest Request(IDataset dataset)
    {
        var o = _options;
        var card = TeacherCard.TryLoadFor(o.TeacherPath);
        return new PrecomputeRequest
        {
            TeacherPath = o.TeacherPath,
            Dataset = dataset,
            Preprocessing = o.Preprocessing ?? PreprocessingFlags.None.Resolve(card, null)?.Value
                ?? throw new DistillException($"{Path.GetFileName(o.TeacherPath)} has no card ({Path.GetFileName(TeacherCard.PathFor(o.TeacherPath))}) with input.mean and input.std: set PrecomputeTeacherLogitsOptions.Preprocessing (its preprocessing is never assumed)"),
            OutputDirectory = o.OutputDirectory,
            InputName = o.InputName ?? card?.InputName,
            OutputNames = o.OutputNames ?? (card?.OutputName is { } name ? new[] { name } : null),
            Device = o.Device,
            BatchSize = o.BatchSize,
            Threads = o.Threads == 0 ? 0 : ThreadLimit.Check(o.Threads, "Threads"),
            RowGroupSize = o.RowGroupSize > 0 ? o.RowGroupSize : throw new DistillException($"RowGroupSize must be positive, got {o.RowGroupSize}"),
            Limit = o.Limit >= 0 ? o.Limit : throw new DistillException($"Limit must be 0 (all) or positive, got {o.Limit}"),
            Overwrite = o.Overwrite,
            Encoding = o.Encoding,
            ClassNames = card?.Classes,
            Task = card?.Task ?? "",
            CommandLine = $"ML.NET PrecomputeTeacherLogits (column '{o.InputColumnName}')",
        };
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        var input = inputSchema.LastOrDefault(c => c.Name == o.InputColumnName);
        if (input.Name is null) throw new DistillException($"the data has no column '{o.InputColumnName}'");
        if (input.Kind != SchemaShape.Column.VectorKind.Vector || input.ItemType != NumberDataViewType.Single && input.ItemType != NumberDataViewType.Byte)
            throw new DistillException($"column '{o.InputColumnName}' must be a fixed-size vector of Single or Byte");
        var outputs = (o.OutputNames ?? new[] { CacheSchema.LogitsColumn })
            .Select((name, i) => i == 0 ? CacheSchema.LogitsColumn : CacheSchema.ColumnFor(name, 0))
            .Select(c => MLNetInternals.Column(c, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false))
            .ToArray();
        return MLNetInternals.With(inputSchema, outputs);
    }
}
