namespace Distill.Teacher.Tests;

internal static class TestPaths
{
    public static string FmnistTeacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);
    public static string TinyIdx => "idx:" + Fixture("tiny-idx");

    public static string TempDir() => TempFolder.Create("distill-teacher-tests");
}
