using System.CommandLine;
using Distill.Data;
using Distill.Data.Scenes;
using Distill.Tools;

// make-scenes: "Fashion-MNIST scenes" (64x64 canvases with 1-3 garments, class masks and boxes) in the YOLO layout.
var output = new Option<string>("--out") { Description = "Folder to create (images/, labels/, masks/, classes.txt, scenes.json)", Required = true };
var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives byte-identical files", DefaultValueFactory = _ => 14 };
var train = new Option<int>("--train") { Description = "Training canvases (garments from the source's train split)", DefaultValueFactory = _ => 20_000 };
var test = new Option<int>("--test") { Description = "Test canvases (garments from the source's test split)", DefaultValueFactory = _ => 2_000 };
var source = new Option<string>("--source") { Description = "Labelled one-channel dataset the garments come from: fashion-mnist, idx:DIR, ...", DefaultValueFactory = _ => "fashion-mnist" };
var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing --out folder (only once the new one is complete)" };
var threads = new Option<int>("--threads") { Description = "Canvases composed and encoded in parallel", DefaultValueFactory = _ => 2 };
var root = new RootCommand(
    "Write \"Fashion-MNIST scenes\": 64x64 grey canvases with 1-3 garments of the matching Fashion-MNIST split, each scaled\n" +
    "by 0.6-1.4 and placed at a random position (later ones over earlier ones), with a class mask per pixel (0 = background,\n" +
    "class + 1) and one YOLO box per garment from its visible pixels (a garment covered completely gets no box).\n" +
    "Layout: images/{train,test}/*.png, labels/{train,test}/*.txt (class cx cy w h, normalized), masks/{train,test}/*.png.\n" +
    "Read it with --dataset yolo:DIR. Example: make-scenes --out data/fmnist-scenes");
foreach (var o in new Option[] { output, seed, train, test, source, overwrite, threads }) root.Options.Add(o);
root.SetAction((ParseResult r) =>
{
    int t = r.GetValue(threads);
    ThreadLimit.Check(t, "--threads");
    var splits = new List<SceneWriter.Split>();
    foreach (var (name, option) in new[] { ("train", train), ("test", test) })
    {
        int count = r.GetValue(option);
        if (count < 0) throw new DistillException($"--{name} must be ≥ 0, got {count}");
        if (count > 0) splits.Add(new SceneWriter.Split(name, DatasetCatalog.Open(r.GetValue(source)!, name), count));
    }
    if (splits.Count == 0) throw new DistillException("nothing to write: --train and --test are both 0");
    string dir = r.GetValue(output)!;
    var sw = System.Diagnostics.Stopwatch.StartNew();
    // Fashion-MNIST's class names; another source's classes are named by their index.
    var classes = r.GetValue(source) == "fashion-mnist" ? SceneWriter.FashionMnistClasses
        : Enumerable.Range(0, splits.Max(s => s.Source.ClassCount ?? 0)).Select(i => i.ToString()).ToArray();
    SceneWriter.Write(dir, r.GetValue(seed), splits, classes, r.GetValue(overwrite), t,
        (split, n) => Console.Error.WriteLine($"{split}: {n:N0} canvases"));
    Console.WriteLine($"wrote {string.Join(" + ", splits.Select(s => $"{s.Count:N0} {s.Name}"))} canvases to {dir} in {sw.Elapsed.TotalSeconds:F1} s");
    return 0;
});
return await ToolMain.InvokeAsync(root, args);
