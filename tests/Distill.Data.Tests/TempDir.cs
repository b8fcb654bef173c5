namespace Distill.Data.Tests;

internal static class TempDir
{
    /// <summary>A fresh folder under the system temp directory for one test's fixtures.</summary>
    public static string Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "distill-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
