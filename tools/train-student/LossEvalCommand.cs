using System.CommandLine;
using Distill.Data;
using Distill.Student.Losses;
using static TorchSharp.torch;

namespace Distill.Tools.TrainStudent;

/// <summary>`train-student loss-eval`: our losses on cases in the golden file's schema, so anyone can check us against PyTorch.</summary>
public static class LossEvalCommand
{
    public static Command Create()
    {
        var cases = new Option<string>("--cases") { Description = "JSON file of cases in the schema of tests/Distill.Student.Tests/golden/losses.json (terms.json adds feature losses and adapters)", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write {\"results\": [{\"value\", \"grad_student\"}, ...]} (same order)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "float64 or float32", DefaultValueFactory = _ => "float64" };
        dtype.AcceptOnlyFromAmong("float64", "float32");
        var cmd = new Command("loss-eval", ToolHelp.Describe("Compute each case's loss value and gradient w.r.t. the student logits",
            "train-student loss-eval --cases tests/Distill.Student.Tests/golden/losses.json --out results.json"));
        cmd.Options.Add(cases);
        cmd.Options.Add(output);
        cmd.Options.Add(dtype);
        cmd.SetAction((ParseResult r) =>
        {
            var type = r.GetValue(dtype) == "float32" ? ScalarType.Float32 : ScalarType.Float64;
            var results = LossCaseEvaluator.EvaluateFile(r.GetValue(cases)!, type);
            LossCaseEvaluator.WriteResults(r.GetValue(output)!, results);
            Console.WriteLine($"{results.Count} cases evaluated in {r.GetValue(dtype)} → {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
