namespace Distill.Data.Tests;

internal static class TempDir
{
    /// <summary>A fresh folder under the system temp directory for one test's fixtures.</summary>
    public static string Create() => TempFolder.Create("distill-data-tests");
}
