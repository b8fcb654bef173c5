namespace Distill.Tests.Shared;

/// <summary>The repository root (where Pipeline.sln is), found from the test assembly's folder.</summary>
internal static class RepoRoot
{
    public static string Dir { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pipeline.sln"))) return d.FullName;
        throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
