using System.Diagnostics;

namespace Distill.Tests.Shared;

/// <summary>
/// Runs a committed Python script with Debian's /usr/bin/python3 (numpy from python3-numpy, which tools/ensure-data.sh
/// installs): the tests' independent readers and references.
/// </summary>
internal static class Python
{
    /// <summary>Runs tests/<paramref name="script"/> and returns its stdout; a non-zero exit throws with its stderr.</summary>
    public static string Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoRoot.Dir, "tests", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{script} did not finish in 120 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} exited {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }
}
