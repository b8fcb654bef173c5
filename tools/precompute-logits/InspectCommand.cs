using System.CommandLine;

namespace Distill.Tools.PrecomputeLogits;

internal static class InspectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("cache") { Description = "Cache directory (or a part file)" };
        var cmd = new Command("inspect", "Validate a cache, read it back and print its summary (rows, metadata, teacher accuracy)");
        cmd.Arguments.Add(dir);
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            CacheSummary.Print(await CacheSummary.ComputeAsync(r.GetValue(dir)!));
            return 0;
        });
        return cmd;
    }
}
