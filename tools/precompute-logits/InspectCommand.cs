using System.CommandLine;

namespace Distill.Tools.PrecomputeLogits;

internal static class InspectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("cache") { Description = "Cache directory" };
        var verify = new Option<bool>("--verify") { Description = "Also read every row group, checking every column against its checksum and every row's index, and report the teacher's accuracy" };
        var cmd = new Command("inspect", ToolHelp.Describe("Validate a cache (metadata and its checksum, parts, sample coverage) and print its summary; --verify reads all of it",
            "precompute-logits inspect caches/fmnist-train --verify"));
        cmd.Arguments.Add(dir);
        cmd.Options.Add(verify);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            CacheSummary.Print(await CacheSummary.ComputeAsync(r.GetValue(dir)!, r.GetValue(verify), ct));
            return 0;
        });
        return cmd;
    }
}
