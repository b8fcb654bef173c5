using System.CommandLine;
using Distill.Cache;
using Distill.Data;
using Distill.Student.Metrics;
using Distill.Student.Output;
using Distill.Student.Students;
using Distill.Tools;
using Distill.Tools.ScenePreview;

// scene-preview: the labels, the teacher's and the student's masks and boxes on the first test canvases, side by side.
var dataset = new Option<string>("--dataset") { Description = "The scenes the caches were made from (yolo:DIR, with masks and labels)", Required = true };
var split = new Option<string>("--split") { Description = "Split to draw", DefaultValueFactory = _ => "test" };
var teacherCache = new Option<string>("--teacher-cache") { Description = "The teacher's cache of that split (precompute-logits --output seg --output det)", Required = true };
var run = new Option<string>("--run") { Description = "A train-student run of a two-head student (its student.onnx is run with ONNX Runtime)", Required = true };
var count = new Option<int>("--count") { Description = "Canvases to draw (the split's first ones), 1..16", DefaultValueFactory = _ => 4 };
var threshold = new Option<double>("--threshold") { Description = "Draw boxes with at least this confidence (mAP@0.5 scores all boxes above 0.001)", DefaultValueFactory = _ => 0.3 };
var teacherTitle = new Option<string>("--teacher-title") { Description = "Title of the teacher's column", DefaultValueFactory = _ => "teacher" };
var studentTitle = new Option<string>("--student-title") { Description = "Title of the student's column", DefaultValueFactory = _ => "student" };
var output = new Option<string>("--out") { Description = "PNG file to write", Required = true };
var root = new RootCommand(
    "Draw the first test canvases of a multi-task scene dataset in four columns: the image, its labels (mask and boxes),\n" +
    "the teacher's masks and boxes (from its cache) and the student's (its exported student.onnx), each detection after\n" +
    "the confidence threshold and per-class NMS as the mAP decodes it.\n" +
    "Example: scene-preview --dataset yolo:data/fmnist-scenes --teacher-cache caches/scenes-test --run runs/x --out preview.png");
foreach (var o in new Option[] { dataset, split, teacherCache, run, count, threshold, teacherTitle, studentTitle, output }) root.Options.Add(o);
root.SetAction((ParseResult r) =>
{
    int n = r.GetValue(count);
    if (n is < 1 or > 16) throw new DistillException($"--count must be between 1 and 16, got {n}");
    double minScore = r.GetValue(threshold);
    if (!(minScore is >= 0 and <= 1)) throw new DistillException($"--threshold must be in [0, 1], got {minScore}");
    var data = DatasetCatalog.Open(r.GetValue(dataset)!, r.GetValue(split)!);
    var dense = data as IDenseTargets;
    if (dense?.Masks is null || dense.Boxes is null)
        throw new DistillException($"{data.Name} {data.Split} needs masks and label files to draw the labels");
    n = Math.Min(n, data.Count);
    using var cache = LogitCacheReader.Open(r.GetValue(teacherCache)!);
    cache.Verify(data);
    var heads = DenseHeads.FromCache(cache.Metadata);
    if (heads?.SegmentationOutput is null || heads.Detection is null)
        throw new DistillException($"cache {cache.Directory} holds no segmentation map and detection head ({(heads is null ? "neither" : heads.ToString())}); cache both with --output seg --output det");

    var panels = LabelledCanvas.First(data, dense, n);
    var teacher = HeadOutputs.FromCache(cache, heads, n);
    var student = StudentOnnx.Run(Path.Combine(r.GetValue(run)!, "student.onnx"), data, cache.Metadata.Preprocessing, heads, n);
    var options = DetectionOptions.Default with { ConfidenceThreshold = minScore };
    var names = (data as YoloDataset)?.ClassNames ?? Enumerable.Range(0, heads.Detection.ClassCount).Select(i => i.ToString()).ToArray();
    string path = r.GetValue(output)!;
    AtomicFile.WriteBytes(path, SceneSheet.Draw(panels, teacher.Decode(heads, options), student.Decode(heads, options), names, minScore,
        r.GetValue(teacherTitle)!, r.GetValue(studentTitle)!));
    Console.WriteLine($"wrote {path}: {n} canvases of {data.Name} {data.Split} (labels, teacher, student; boxes with confidence ≥ {minScore})");
    return 0;
});
return await ToolMain.InvokeAsync(root, args);
