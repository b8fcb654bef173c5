using System.CommandLine;
using System.CommandLine.Help;
using Distill.Data;

namespace Distill.Tools;

/// <summary>
/// The one entry point of every tool, and how each ends: a command-line mistake or a user error
/// (<see cref="DistillException"/>) as one line <c>error: ...</c> and exit code 1; Ctrl-C (or SIGTERM) with the
/// command's <see cref="Interrupted"/> line (how to continue) and 130; a bug as one line and 70. <c>--verbose</c> adds
/// the stack trace. Linked into each tool project.
/// </summary>
internal static class ToolMain
{
    public const int UserError = 1, InternalError = 70, Cancelled = 130;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces for errors", Recursive = true };
        root.Options.Add(verbose);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            // System.CommandLine would print every error and the whole help; one line says what to fix.
            var command = string.Join(" ", parse.CommandResult.Command.Name == root.Name ? new[] { root.Name } : new[] { root.Name, parse.CommandResult.Command.Name });
            Console.Error.WriteLine($"error: {parse.Errors[0].Message} (see {command} --help)");
            return UserError;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (DistillException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
            return UserError;
        }
        catch (OperationCanceledException e)
        {
            Console.Error.WriteLine(e is Interrupted ? e.Message : "interrupted");
            return Cancelled;
        }
        catch (Exception e)
        {
            // A bug, not a user error: still one line unless --verbose.
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]} (rerun with --verbose for details)");
            if (parse.GetValue(verbose)) Console.Error.WriteLine(e);
            return InternalError;
        }
    }
}

/// <summary>
/// A command stopped by Ctrl-C (or SIGTERM): its message says what was kept and how to continue (e.g. "rerun with
/// --resume"). <see cref="ToolMain"/> prints it and exits with 130.
/// </summary>
internal sealed class Interrupted(string message, Exception? inner = null) : OperationCanceledException(message, inner);
