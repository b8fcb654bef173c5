using System.CommandLine;
using Distill.Cache;
using Distill.Data;
using Distill.Teacher;

namespace Distill.Tools.PrecomputeLogits;

/// <summary>The root command: options mirror <see cref="PrecomputeRequest"/>.</summary>
internal static class PrecomputeCommand
{
    public static RootCommand Create()
    {
        var teacher = new Option<string[]>("--teacher") { Description = "ONNX teacher model (its card <model>.json beside it supplies preprocessing, folder datasets' resize/crop and class names); repeat it for an ensemble", Required = true };
        var ensemble = new Option<string?>("--ensemble") { Description = "With several teachers: separate (each teacher its own columns; default), mean (of logits) or mean-prob (of probabilities, stored as log of the mean)" };
        var dataset = new Option<string>("--dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Formats) + " (fashion-mnist and mnist from Debian's /usr/share/datasets)", DefaultValueFactory = _ => "fashion-mnist" };
        var split = new Option<string>("--split") { Description = "Split to cache", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "test");
        var output = new Option<string>("--out") { Description = "Output cache directory (Parquet part files + metadata)", Required = true };
        var input = new Option<string?>("--input") { Description = "Model input to feed when it has several" };
        var outputName = new Option<string[]>("--output") { Description = "Model output to cache (default: the one shaped [batch, C]), or any tensor inside the graph (e.g. pooled features; `precompute-logits layers TEACHER.onnx` lists them); repeat it to store several, the first being the logits; dense ones ([N,C,H,W], [N,A,K]) are stored flattened" };
        var views = new Option<int>("--views") { Description = "Augmented views to cache per sample (each its own row with its view number and augmentation parameters)", DefaultValueFactory = _ => 1 };
        var augment = new Option<string?>("--augment") { Description = "Augmentation of each view: crop:P (random crop with P pixels of zero padding), flip (random horizontal flip), e.g. crop:2,flip" };
        var augmentSeed = new Option<int>("--augment-seed") { Description = "Seed of the per-(sample, view) augmentation parameters", DefaultValueFactory = _ => 0 };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean, comma-separated (overrides the card's; needed without a card)" };
        var std = new Option<string?>("--std") { Description = "Per-channel std, comma-separated (overrides the card's; needed without a card)" };
        var scale = new Option<string?>("--scale") { Description = "Multiplier of the raw values before mean/std, e.g. 1/255 for 8-bit pixels, 1 for values already in [0, 1] (overrides the card's; needed without a card)" };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Feed the raw values as they are stored (instead of --scale/--mean/--std)" };
        var device = new Option<string>("--device") { Description = "auto (CUDA when available, else CPU), cpu, cuda or cuda:N", DefaultValueFactory = _ => "auto" };
        var batch = new Option<int>("--batch") { Description = "Images per ONNX Runtime call", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = $"ONNX Runtime intra-op threads, 1 to {ThreadLimit.Max} (0: ONNX Runtime's default; at 0 or at least the core count, reading and inference take turns on the CPU's cores, below it they overlap)", DefaultValueFactory = _ => 0 };
        var rowGroup = new Option<int>("--row-group") { Description = "Rows per Parquet row group (rounded down to a multiple of --batch)", DefaultValueFactory = _ => 2048 };
        var limit = new Option<int>("--limit") { Description = "Cache only the first N samples (0: all)", DefaultValueFactory = _ => 0 };
        var shard = new Option<string>("--shard") { Description = "Cache only slice k of n (e.g. 2/3) into its own part file, so n machines fill one cache", DefaultValueFactory = _ => "1/1" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its last complete row group (refused when the cache there was made with other settings)" };
        var dtype = new Option<string[]>("--dtype") { Description = "Stored value type: float32 (default) or float16 (2 bytes per value) for every column, or COLUMN=TYPE for one column (by column or output name, e.g. --dtype float16 --dtype logits=float32); repeatable" };
        var topK = new Option<int>("--top-k") { Description = "Store only the K largest logits of each teacher's class logits per sample, plus the log-sum-exp of all (0: all)", DefaultValueFactory = _ => 0 };
        var topKExtras = new Option<string?>("--top-k-extras") { Description = "Exact extras per top-K row: all (default: the label's logit and the logits' mean and std), none, or a comma list of label, moments" };
        var compression = new Option<string?>("--compression") { Description = "Page compression: none, lz4 or zstd (level Fastest); default zstd for top-K caches, none otherwise" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing cache or interrupted run (the old cache stays until the new one is complete, all shards included)" };

        var cmd = new RootCommand(ToolHelp.Describe(
            "Run an ONNX teacher once over a dataset split and cache its logits in Parquet for train-student. The input's\n" +
            "preprocessing x = (raw·scale − mean) / std comes from the teacher's card <model>.json or from --scale/--mean/--std.",
            "precompute-logits --teacher models/fmnist-resnet/fmnist-resnet.onnx --dataset fashion-mnist --split train --out caches/fmnist-train",
            "precompute-logits --teacher my.onnx --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --dataset folder:data/pets --out caches/pets-train",
            "precompute-logits card my.onnx --scale 1/255 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --classes classes.txt   (then no flags are needed)"));
        foreach (var o in new Option[] { teacher, ensemble, dataset, split, output, input, outputName, views, augment, augmentSeed, mean, std, scale, noNormalize, device, batch, threads, rowGroup, limit, shard, resume, dtype, topK, topKExtras, compression, overwrite })
            cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var teacherPaths = r.GetValue(teacher)!;
            foreach (var p in teacherPaths)
                if (!File.Exists(p)) throw new DistillException($"teacher {p} not found");
            var flags = PreprocessingFlags.Parse(r.GetValue(scale), r.GetValue(mean), r.GetValue(std), r.GetValue(noNormalize));
            var cards = teacherPaths.Select(TeacherCard.TryLoadFor).ToList();
            var resolved = teacherPaths.Select((p, i) => flags.Require(cards[i], p)).ToList();
            var card = cards[0];
            // The first card's classes label folder datasets and its resize/crop apply to them.
            var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!,
                TeacherCard.DatasetOptionsFor(card, w => Console.Error.WriteLine(w)));
            var pre = resolved[0].Value;
            // Every teacher sees the same preprocessed batch, so their cards must agree on it.
            for (int i = 1; i < cards.Count; i++)
                if (resolved[i].Value is var other && other.ToString() != pre.ToString())
                    throw new DistillException($"teachers' cards disagree on preprocessing: {Path.GetFileName(teacherPaths[0])} {pre}, {Path.GetFileName(teacherPaths[i])} {other}");
            if (ValueRangeCheck.Warning(data, resolved[0]) is { } rangeWarning) Console.Error.WriteLine(rangeWarning);
            var outputs = r.GetValue(outputName) is { Length: > 0 } o ? o : card?.OutputName is { } co ? new[] { co } : null;
            var req = new PrecomputeRequest
            {
                TeacherPaths = teacherPaths,
                Ensemble = r.GetValue(ensemble),
                OutputNames = outputs,
                Views = r.GetValue(views),
                Augment = Augmentation.Parse(r.GetValue(augment)),
                AugmentSeed = r.GetValue(augmentSeed),
                Dataset = data,
                Preprocessing = pre,
                OutputDirectory = r.GetValue(output)!,
                InputName = r.GetValue(input) ?? card?.InputName,
                Device = ExecutionDevice.Parse(r.GetValue(device)!),
                BatchSize = r.GetValue(batch),
                Threads = r.GetValue(threads),
                RowGroupSize = r.GetValue(rowGroup),
                Limit = r.GetValue(limit),
                Overwrite = r.GetValue(overwrite),
                Shard = Distill.Cache.ShardSpec.Parse(r.GetValue(shard)!),
                Resume = r.GetValue(resume),
                Encoding = CacheEncoding.Parse(r.GetValue(dtype), r.GetValue(topK), r.GetValue(topKExtras), r.GetValue(compression)),
                ClassNames = card?.ClassKeys, // what train-student labels folder datasets by
                Task = card?.Task ?? "",
                DetectionHeads = card?.DetectionHeads,
                CommandLine = "precompute-logits " + string.Join(" ", Environment.GetCommandLineArgs().Skip(1)),
            };
            req.Validate();   // before the header line; RunAsync checks again for library callers
            var (first, end) = req.Shard.Range(req.Limit > 0 ? Math.Min(req.Limit, data.Count) : data.Count);
            long total = (long)(end - first) * Math.Max(req.Views, 1);
            Console.WriteLine($"teacher {string.Join(" + ", teacherPaths.Select(Path.GetFileName))}{(teacherPaths.Length > 1 ? $" ({req.Ensemble ?? "separate"})" : "")} on {data.Name} {data.Split} ({end - first:N0} samples{(req.Views > 1 ? $" × {req.Views} views" : "")}), {resolved[0]}");
            PrecomputeResult result;
            try
            {
                result = await ConsoleProgress.RunAsync("precompute-logits", total,
                    progress => LogitPrecomputer.RunAsync(req, progress, w => Console.Error.WriteLine(w), ct));
            }
            catch (OperationCanceledException e) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: every complete row group is kept for the same command with --resume.
                throw new Interrupted("precompute-logits was interrupted; every complete row group is kept: run the same command with --resume " +
                    $"to continue from there{(req.Overwrite ? " (instead of --overwrite)" : "")}", e);
            }
            if (result.Computed == 0 && result.Samples > 0) Console.WriteLine("this shard of the cache was already complete; nothing to compute");
            Console.WriteLine($"samples:      {result.Samples:N0} × {result.ClassCount} logits on {result.Device} (shard {req.Shard}, {result.Computed:N0} computed now)");
            if (result.Computed > 0) Console.WriteLine($"throughput:   {result.ImagesPerSecond:N0} img/s ({result.Seconds:F1} s; busy: {result.Stages})");
            Console.WriteLine($"file:         {result.File} ({result.FileBytes:N0} bytes, {result.BytesPerSample:F1} bytes/sample)");
            CacheSummary.PrintSizes(await CacheSizes.OfAsync(new[] { result.File }, ct));
            if (result.Accuracy is double a) Console.WriteLine($"teacher top-1: {a:F4}");
            Console.WriteLine(result.MissingShards.Count == 0
                ? $"cache:        {req.OutputDirectory} is complete"
                : $"cache:        {req.OutputDirectory} is complete once shard(s) {string.Join(", ", result.MissingShards)} are done (until then it keeps what it held before)");
            return 0;
        });
        return cmd;
    }
}
