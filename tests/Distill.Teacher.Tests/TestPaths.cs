namespace Distill.Teacher.Tests;

internal static class TestPaths
{
    /// <summary>The repository root (where Pipeline.sln is), found from the test assembly's folder.</summary>
    public static string RepoRoot { get; } = FindRoot();

    public static string FmnistTeacher => Path.Combine(RepoRoot, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);
    public static string TinyIdx => "idx:" + Fixture("tiny-idx");

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distill-teacher-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Pipeline.sln"))) return d.FullName;
        throw new InvalidOperationException("Pipeline.sln not found above " + AppContext.BaseDirectory);
    }
}
