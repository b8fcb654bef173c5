using System.Text;
using Distill.Data;

namespace Distill.Tools.Evaluate;

/// <summary>
/// The Markdown report (table, preprocessing, confusion matrix or most confused pairs) and its two plots (accuracy vs
/// latency, the student's confusion matrix), each written whole (<see cref="AtomicFile"/>).
/// </summary>
internal static class EvaluationReport
{
    public static string Write(string outPath, ModelScore teacher, ModelScore student, IDataset data, int threads)
    {
        if (teacher.ClassCount != student.ClassCount)
            throw new DistillException($"teacher outputs {teacher.ClassCount} classes, student {student.ClassCount}");
        int n = teacher.Predictions.Length;
        double agreement = teacher.Predictions.Zip(student.Predictions).Count(p => p.First == p.Second) / (double)n;
        string Micros(double v) => double.IsNaN(v) ? "—" : $"{v:F1} µs";
        var png = Path.ChangeExtension(outPath, ".png");
        var confusionPng = Path.ChangeExtension(outPath, null) + "-confusion.png";
        var labels = Enumerable.Range(0, n).Select(data.GetLabel).ToArray();
        var cm = new ConfusionMatrix(labels, student.Predictions, student.ClassCount, teacher.ClassNames ?? student.ClassNames);

        var md = new StringBuilder();
        md.AppendLine($"# Evaluation: {student.Name} vs teacher {teacher.Name}\n");
        md.AppendLine($"Dataset {data.Name}/{data.Split}, {n} images; ONNX Runtime {Distill.Teacher.SessionFactory.OnnxRuntimeVersion()} CPU, {threads} intra-op threads; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.\n");
        md.AppendLine("| model | top-1 | agreement with teacher | ECE (15 bins) | parameters | file size | latency/image, batch 1 | latency/image, batch 256 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (r, agree) in new[] { (teacher, 1.0), (student, agreement) })
            md.AppendLine($"| {r.Name} | {r.Top1:F4} | {agree:F4} | {r.Ece:F4} | {(r.Parameters >= 0 ? r.Parameters.ToString("N0") : "—")} | {r.Bytes / 1024.0:F1} KiB | {Micros(r.MicrosPerImageBatch1)} | {Micros(r.MicrosPerImageBatch256)} |");
        md.AppendLine($"\nPreprocessing: {teacher.Name} {teacher.Preprocessing}; {student.Name} {student.Preprocessing}.\n");
        md.AppendLine($"![accuracy vs latency]({Path.GetFileName(png)}) ![student confusion matrix]({Path.GetFileName(confusionPng)})\n");
        md.Append(cm.Markdown("Student"));

        var scatter = LatencyPlot.Build(new[] { teacher, student });
        var heat = ConfusionPlot.Build(cm, $"{student.Name} on {data.Name} {data.Split}: confusion matrix");
        int side = cm.Classes <= ConfusionMatrix.MaxTableClasses ? 560 + 30 * cm.Classes : 900;
        // --out may name a folder that does not exist yet; creating it is part of writing the first file.
        AtomicFile.Write(png, tmp => { Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(png))!); scatter.SavePng(tmp, 760, 560); });
        AtomicFile.Write(confusionPng, tmp => heat.SavePng(tmp, side + 120, side));
        AtomicFile.WriteText(outPath, md.ToString());
        return md.ToString();
    }
}
