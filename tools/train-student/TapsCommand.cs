using System.CommandLine;
using Distill.Data;
using Distill.Student;
using Distill.Student.Students;

namespace Distill.Tools.TrainStudent;

/// <summary>
/// <c>taps --student NAME --dataset D</c>: each output a term can read (the student's taps, then logits) with its shape
/// for one sample of the dataset. A module of your own: <see cref="StudentOutputs.Describe"/> in the library.
/// </summary>
public static class TapsCommand
{
    public static Command Create()
    {
        var student = new Option<string>("--student") { Description = $"Student: {string.Join(", ", StudentRegistry.Names)}", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset spec (its sample shape and class count): " + string.Join(", ", DatasetCatalog.Formats), Required = true };
        var classes = new Option<int?>("--classes") { Description = "Class count, when the dataset has no labels to count" };
        var cmd = new Command("taps", ToolHelp.Describe("List a student's outputs (taps and logits) with their shapes for one sample: what a term's \"student\" can name",
            "train-student taps --student cnn-small --dataset fashion-mnist"));
        foreach (var o in new Option[] { student, dataset, classes }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult p) =>
        {
            var data = DatasetCatalog.Open(p.GetValue(dataset)!, "train");
            try
            {
                int c = p.GetValue(classes) ?? data.ClassCount
                    ?? throw new DistillException($"{data.Name} has no labels to count classes from: give --classes");
                using var model = StudentRegistry.Create(p.GetValue(student)!, data.SampleShape, c);
                Console.WriteLine($"{p.GetValue(student)} on [{string.Join(", ", data.SampleShape)}] samples, {c} classes:");
                foreach (var (name, shape) in StudentOutputs.Describe(model, data.SampleShape))
                    Console.WriteLine($"  {name,-12} [{string.Join(", ", shape)}]");
            }
            finally { (data as IDisposable)?.Dispose(); }
            return 0;
        });
        return cmd;
    }
}
