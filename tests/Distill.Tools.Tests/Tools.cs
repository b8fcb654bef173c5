namespace Distill.Tools.Tests;

/// <summary>Paths this suite uses; the tools themselves run through <see cref="ToolRunner"/>.</summary>
internal static class Tools
{
    public static string Fixtures => Path.Combine(RepoRoot.Dir, "tests", "Distill.Teacher.Tests", "fixtures");
    public static string Teacher => Path.Combine(RepoRoot.Dir, "models", "fmnist-resnet", "fmnist-resnet.onnx");
    public static string TinyIdx => "idx:" + Path.Combine(Fixtures, "tiny-idx");

    public static string TempDir() => TempFolder.Create("distill-tools-tests");
}
