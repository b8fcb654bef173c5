namespace Distill.Tests.Shared;

/// <summary>Fresh, empty folders for test fixtures under the system temp folder, grouped per suite.</summary>
internal static class TempFolder
{
    public static string Create(string suite)
    {
        var dir = Path.Combine(Path.GetTempPath(), suite, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
