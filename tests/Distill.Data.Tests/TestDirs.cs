namespace Distill.Data.Tests;

internal static class TestDirs
{
    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distill-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
