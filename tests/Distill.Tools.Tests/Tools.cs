using System.Diagnostics;

namespace Distill.Tools.Tests;

/// <summary>The built tools, run as separate processes in the tests' configuration.</summary>
internal static class Tools
{
    public static string RepoRoot { get; } = FindRoot();
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "Distill.Teacher.Tests", "fixtures");
    public static string Teacher => Path.Combine(RepoRoot, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string TinyIdx => "idx:" + Path.Combine(Fixtures, "tiny-idx");

    public static string Dll(string tool)
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        return Path.Combine(RepoRoot, "tools", tool, "bin", tfm.Parent!.Name, tfm.Name, tool + ".dll");
    }

    public sealed record Result(int Code, string Stdout, string Stderr)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(string tool, IEnumerable<string> args, int timeoutSeconds = 300)
    {
        using var p = Start(tool, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000)) { p.Kill(true); throw new TimeoutException($"{tool} did not finish in {timeoutSeconds} s"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(string tool, IEnumerable<string> args, bool drain = false)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll(tool));
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

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distill-tools-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pipeline.sln"))) return d.FullName;
        throw new InvalidOperationException("Pipeline.sln not found");
    }
}
