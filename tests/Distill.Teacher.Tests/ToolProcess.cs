using System.Diagnostics;

namespace Distill.Teacher.Tests;

/// <summary>Runs the built precompute-logits tool as a separate process (same configuration as the tests).</summary>
internal static class ToolProcess
{
    public static string Dll
    {
        get
        {
            // Tests live in tests/X/bin/<Configuration>/net10.0/; the tool in tools/precompute-logits/bin/<Configuration>/net10.0/.
            var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var config = tfmDir.Parent!.Name;
            return Path.Combine(TestPaths.RepoRoot, "tools", "precompute-logits", "bin", config, tfmDir.Name, "precompute-logits.dll");
        }
    }

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("precompute-logits did not finish in 120 s"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
