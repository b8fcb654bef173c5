using System.CommandLine;
using Distill.Data;

namespace Distill.Tools;

/// <summary>
/// How a tool ends: user errors (<see cref="DistillException"/>) as one line <c>error: ...</c> and exit code 1,
/// cancellation 130, bugs one line and 70; <c>--verbose</c> adds the stack trace. Linked into each tool project.
/// </summary>
internal static class ToolMain
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces for errors", Recursive = true };
        root.Options.Add(verbose);
        var parse = root.Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (DistillException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            // A bug, not a user error: still one line unless --verbose.
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]} (rerun with --verbose for details)");
            if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
            return 70;
        }
    }
}
