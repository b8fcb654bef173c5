using System.Diagnostics;

namespace Distill.Tests.Shared;

/// <summary>Runs a built command-line tool (tools/NAME) as a separate process, in the tests' own configuration.</summary>
internal static class ToolRunner
{
    /// <summary>tools/NAME/bin/CONFIG/TFM/NAME.dll, where the tests live in tests/X/bin/CONFIG/TFM/.</summary>
    public static string Dll(string tool)
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        return Path.Combine(RepoRoot.Dir, "tools", tool, "bin", tfm.Parent!.Name, tfm.Name, tool + ".dll");
    }

    /// <summary>samples/NAME/bin/CONFIG/TFM/ASSEMBLY.dll: a sample program built beside the tests.</summary>
    public static string SampleDll(string sample, string assembly)
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        return Path.Combine(RepoRoot.Dir, "samples", sample, "bin", tfm.Parent!.Name, tfm.Name, assembly + ".dll");
    }

    public sealed record Result(int Code, string Stdout, string Stderr)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Runs to the end and returns exit code and both streams; a run past the timeout is killed and throws.</summary>
    public static Result Run(string tool, IEnumerable<string> args, int timeoutSeconds = 300) => RunDll(Dll(tool), args, timeoutSeconds);

    /// <summary>As <see cref="Run"/>, for any program's .dll (e.g. <see cref="SampleDll"/>).</summary>
    public static Result RunDll(string dll, IEnumerable<string> args, int timeoutSeconds = 300)
    {
        using var p = StartDll(dll, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"{Path.GetFileName(dll)} did not finish in {timeoutSeconds} s"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <param name="drain">Read and discard the output (for runs that get killed), so a full pipe never blocks the tool.</param>
    public static Process Start(string tool, IEnumerable<string> args, bool drain = false) => StartDll(Dll(tool), args, drain);

    private static Process StartDll(string dll, IEnumerable<string> args, bool drain = false)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var p = Process.Start(psi)!;
        if (drain)
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }
        return p;
    }
}
