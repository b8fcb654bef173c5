using System.Text;
using Distill.Data;
using Microsoft.ML.OnnxRuntime;

namespace Distill.Tools.Evaluate;

/// <summary>
/// The Markdown report (table, confusion matrix) and its two plots (accuracy vs latency, the student's confusion
/// matrix). Each file is written under a temporary name and renamed, so a report file is never half written.
/// </summary>
internal static class EvaluationReport
{
    public static string Write(string outPath, ModelScore teacher, ModelScore student, IDataset data, int threads)
    {
        if (teacher.ClassCount != student.ClassCount)
            throw new DistillException($"teacher outputs {teacher.ClassCount} classes, student {student.ClassCount}");
        int n = teacher.Predictions.Length, classes = teacher.ClassCount;
        var names = teacher.ClassNames ?? student.ClassNames;
        string Name(int c) => names is { } a && c < a.Length ? a[c] : c.ToString();
        double agreement = teacher.Predictions.Zip(student.Predictions).Count(p => p.First == p.Second) / (double)n;
        string Micros(double v) => double.IsNaN(v) ? "—" : $"{v:F1} µs";
        var png = Path.ChangeExtension(outPath, ".png");
        var confusionPng = Path.ChangeExtension(outPath, null) + "-confusion.png";

        var md = new StringBuilder();
        md.AppendLine($"# Evaluation: {student.Name} vs teacher {teacher.Name}\n");
        md.AppendLine($"Dataset {data.Name}/{data.Split}, {n} images; ONNX Runtime {SessionFactoryVersion()} CPU, {threads} intra-op threads; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.\n");
        md.AppendLine("| model | top-1 | agreement with teacher | ECE (15 bins) | parameters | file size | latency/image, batch 1 | latency/image, batch 256 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (r, agree) in new[] { (teacher, 1.0), (student, agreement) })
            md.AppendLine($"| {r.Name} | {r.Top1:F4} | {agree:F4} | {r.Ece:F4} | {(r.Parameters >= 0 ? r.Parameters.ToString("N0") : "—")} | {r.Bytes / 1024.0:F1} KiB | {Micros(r.MicrosPerImageBatch1)} | {Micros(r.MicrosPerImageBatch256)} |");
        md.AppendLine($"\n![accuracy vs latency]({Path.GetFileName(png)}) ![student confusion matrix]({Path.GetFileName(confusionPng)})\n");
        md.AppendLine("Student confusion matrix (rows: true class, columns: predicted):\n");
        var cm = new int[classes, classes];
        for (int i = 0; i < n; i++) cm[data.GetLabel(i), student.Predictions[i]]++;
        md.AppendLine("| | " + string.Join(" | ", Enumerable.Range(0, classes).Select(Name)) + " |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", classes)));
        for (int a = 0; a < classes; a++)
            md.AppendLine($"| {Name(a)} | " + string.Join(" | ", Enumerable.Range(0, classes).Select(b => cm[a, b])) + " |");

        var scatter = new ScottPlot.Plot();
        foreach (var r in new[] { teacher, student })
        {
            var sc = scatter.Add.Scatter(new[] { r.MicrosPerImageBatch256 }, new[] { r.Top1 });
            sc.LegendText = r.Name; sc.MarkerSize = 12;
        }
        scatter.Axes.Bottom.Label.Text = "latency per image at batch 256 (µs)"; scatter.Axes.Left.Label.Text = "top-1";
        scatter.Title("accuracy vs latency"); scatter.ShowLegend();
        var heat = new ScottPlot.Plot();
        var values = new double[classes, classes];
        for (int a = 0; a < classes; a++) for (int b = 0; b < classes; b++) values[a, b] = cm[a, b];
        var hm = heat.Add.Heatmap(values); heat.Add.ColorBar(hm); heat.Title("student confusion matrix (row: true, col: predicted)");

        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            Directory.CreateDirectory(dir);
            Atomically(png, tmp => scatter.SavePng(tmp, 700, 500));
            Atomically(confusionPng, tmp => heat.SavePng(tmp, 700, 600));
            Atomically(outPath, tmp => File.WriteAllText(tmp, md.ToString()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"cannot write the report {outPath}: {e.Message}", e);
        }
        return md.ToString();
    }

    private static void Atomically(string path, Action<string> write)
    {
        var tmp = path + ".tmp";
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    private static string SessionFactoryVersion() => Distill.Teacher.SessionFactory.OnnxRuntimeVersion();
}
