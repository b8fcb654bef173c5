// evaluate TEACHER.onnx STUDENT.onnx [--dataset fashion-mnist] [--split test] [--out report.md]
// Top-1, agreement, ECE (15 bins), parameters, file size, latency per image at batch 1 and 256 (ONNX Runtime CPU),
// Markdown report and a PNG (accuracy vs latency; the student's confusion matrix).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length < 2) { Console.Error.WriteLine("usage: evaluate TEACHER.onnx STUDENT.onnx [--dataset NAME] [--split test] [--out report.md] [--threads 2]"); return 2; }
string Opt(string name, string def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : def; }
var models = new[] { args[0], args[1] };
var ds = DatasetCatalog.Open(Opt("--dataset", "fashion-mnist"), Opt("--split", "test"));
var outPath = Opt("--out", "report.md");
int threads = int.Parse(Opt("--threads", "2"));
int n = ds.Count, size = ds.SampleSize();
var labels = Enumerable.Range(0, n).Select(ds.GetLabel).ToArray();
var rows = new List<(string Name, double Acc, double Ece, long Params, long Bytes, double Lat1, double Lat256, int[] Pred)>();
int classes = 0;
string[]? classNames = null;
foreach (var path in models)
{
    var card = TeacherCard.TryLoadFor(path);
    classNames ??= card?.Classes;
    var pre = TeacherCard.Resolve(card, null, null, null);
    var x = new float[n * size];
    ds.ReadSamples(0, n, x);
    pre.Apply(x, ds.SampleShape[0]);
    using var so = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    using var s = new InferenceSession(path, so);
    string inName = card?.InputName ?? s.InputMetadata.Keys.First(), outName = card?.OutputName ?? s.OutputMetadata.Keys.First();
    long[] Shape(int b) => new long[] { b }.Concat(ds.SampleShape.Select(d => (long)d)).ToArray();
    float[] Run(int start, int b)
    {
        using var v = OrtValue.CreateTensorValueFromMemory(x[(start * size)..((start + b) * size)], Shape(b));
        using var o = s.Run(new RunOptions(), new[] { inName }, new[] { v }, new[] { outName });
        return o[0].GetTensorDataAsSpan<float>().ToArray();
    }
    var logits = new List<float>();
    for (int st = 0; st < n; st += 256) logits.AddRange(Run(st, Math.Min(256, n - st)));
    classes = logits.Count / n;
    var pred = new int[n]; var conf = new double[n];
    for (int i = 0; i < n; i++)
    {
        var row = logits.GetRange(i * classes, classes);
        float max = row.Max(); double z = row.Sum(v => Math.Exp(v - max));
        pred[i] = row.IndexOf(max); conf[i] = 1.0 / z;
    }
    double acc = pred.Zip(labels).Count(p => p.First == p.Second) / (double)n;
    // ECE, 15 equal-width confidence bins: sum over bins of |bin| / n * |accuracy(bin) - confidence(bin)|.
    double ece = 0;
    for (int b = 0; b < 15; b++)
    {
        var idx = Enumerable.Range(0, n).Where(i => conf[i] > b / 15.0 && conf[i] <= (b + 1) / 15.0).ToArray();
        if (idx.Length == 0) continue;
        ece += idx.Length / (double)n * Math.Abs(idx.Average(i => pred[i] == labels[i] ? 1.0 : 0.0) - idx.Average(i => conf[i]));
    }
    double Latency(int b, int reps)
    {
        Run(0, b); var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) Run((r * b) % (n - b), b);
        return sw.Elapsed.TotalMilliseconds / (reps * b);
    }
    long parameters = ParamCount(path);
    rows.Add((Path.GetFileName(path), acc, ece, parameters, new FileInfo(path).Length, Latency(1, 500), Latency(256, 8), pred));
}
var t = rows[0]; var st2 = rows[1];
double agreement = t.Pred.Zip(st2.Pred).Count(p => p.First == p.Second) / (double)n;
var md = new StringBuilder();
md.AppendLine($"# Evaluation: {st2.Name} vs teacher {t.Name}\n");
md.AppendLine($"Dataset {ds.Name}/{ds.Split}, {n} images; ONNX Runtime {typeof(InferenceSession).Assembly.GetName().Version} CPU, {threads} intra-op threads; {Environment.ProcessorCount}-core shared machine, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.\n");
md.AppendLine("| model | top-1 | agreement with teacher | ECE (15 bins) | parameters | file size | latency/image, batch 1 | latency/image, batch 256 |");
md.AppendLine("|---|---|---|---|---|---|---|---|");
foreach (var r in rows)
    md.AppendLine($"| {r.Name} | {r.Acc:F4} | {(r.Name == t.Name ? "1.0000" : agreement.ToString("F4"))} | {r.Ece:F4} | {r.Params:N0} | {r.Bytes / 1024.0:F1} KiB | {r.Lat1 * 1000:F1} µs | {r.Lat256 * 1000:F1} µs |");
var png = Path.ChangeExtension(outPath, ".png");
md.AppendLine($"\n![accuracy vs latency]({Path.GetFileName(png)}) ![student confusion matrix]({Path.GetFileNameWithoutExtension(outPath)}-confusion.png)\n");
md.AppendLine("Student confusion matrix (rows: true class, columns: predicted):\n");
var cm = new int[classes, classes];
for (int i = 0; i < n; i++) cm[labels[i], st2.Pred[i]]++;
md.AppendLine("| | " + string.Join(" | ", Enumerable.Range(0, classes).Select(c => classNames?[c] ?? c.ToString())) + " |");
md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", classes)));
for (int a = 0; a < classes; a++)
    md.AppendLine($"| {classNames?[a] ?? a.ToString()} | " + string.Join(" | ", Enumerable.Range(0, classes).Select(b => cm[a, b])) + " |");
File.WriteAllText(outPath, md.ToString());

var p1 = new ScottPlot.Plot();
foreach (var r in rows) { var sc = p1.Add.Scatter(new[] { r.Lat256 * 1000 }, new[] { r.Acc }); sc.LegendText = r.Name; sc.MarkerSize = 12; }
p1.Axes.Bottom.Label.Text = "latency per image at batch 256 (µs)"; p1.Axes.Left.Label.Text = "top-1"; p1.Title("accuracy vs latency"); p1.ShowLegend();
p1.SavePng(png, 700, 500);
var p2 = new ScottPlot.Plot();
var data = new double[classes, classes];
for (int a = 0; a < classes; a++) for (int b = 0; b < classes; b++) data[a, b] = cm[a, b];
var hm = p2.Add.Heatmap(data); p2.Add.ColorBar(hm); p2.Title("student confusion matrix (row: true, col: predicted)");
p2.SavePng(Path.ChangeExtension(outPath, null) + "-confusion.png", 700, 600);
Console.WriteLine(md);
return 0;

static long ParamCount(string onnxPath)
{
    var card = Path.ChangeExtension(onnxPath, ".json");
    if (File.Exists(card) && System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(card))?["parameters"] is { } p) return p.GetValue<long>();
    return -1;
}
