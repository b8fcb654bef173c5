using Distill.Data;

namespace Distill.Tools;

/// <summary>
/// Files the tools write outside a run directory (a teacher card, evaluate's report and plots): into PATH.tmp, flushed
/// to disk, renamed to PATH; a failure removes the .tmp and is one line naming PATH.
/// </summary>
internal static class AtomicWrite
{
    public static void Text(string path, string text) => With(path, tmp => File.WriteAllText(tmp, text));

    /// <summary><paramref name="write"/> writes the temporary path it is given.</summary>
    public static void With(string path, Action<string> write)
    {
        var tmp = path + ".tmp";
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(dir);
            write(tmp);
            using (var f = new FileStream(tmp, FileMode.Open, FileAccess.Write)) f.Flush(flushToDisk: true);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new DistillException($"writing {path} failed: {e.Message.Split('\n')[0]}", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort on a failure path */ }
    }
}
