using System.Text;

namespace Distill.Data;

/// <summary>
/// How every output of the toolkit is written (run outputs, cards, reports): into <c>PATH.tmp</c>, flushed to disk,
/// then renamed to PATH, so a file under its final name is always complete. On any failure (a full disk included) the
/// .tmp is removed and the error is one line naming the file.
/// </summary>
public static class AtomicFile
{
    public static void WriteText(string path, string text) => WriteBytes(path, new UTF8Encoding(false).GetBytes(text));

    public static void WriteBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = path + ".tmp";
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(tmp);
            if (e is IOException or UnauthorizedAccessException) throw Failed(path, e);
            throw;
        }
    }

    /// <summary>
    /// For writers that take a path (TorchSharp's save, ONNX, safetensors): <paramref name="write"/> writes the
    /// temporary path it is given, which is then flushed to disk and renamed.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        var tmp = path + ".tmp";
        try
        {
            write(tmp);
            FlushToDisk(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(tmp);
            if (e is IOException or UnauthorizedAccessException) throw Failed(path, e);
            throw;
        }
    }

    /// <summary>fsync: what the rename publishes must be on disk first (a full disk may only show here).</summary>
    public static void FlushToDisk(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Flush(flushToDisk: true);
    }

    /// <summary>"writing PATH failed: REASON" with the OS's reason only (not the temporary name).</summary>
    public static DistillException Failed(string path, Exception e) => new($"writing {path} failed: {Reason(e)}", e);

    /// <summary>The OS's reason of an I/O error, without the path .NET appends (" : 'PATH'").</summary>
    public static string Reason(Exception e)
    {
        var m = e.Message.Split('\n')[0];
        int at = m.IndexOf(" : '", StringComparison.Ordinal);
        return at > 0 ? m[..at] : m;
    }

    /// <summary>Removes a file or directory left by a failed write; best effort, on a failure path.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort on a failure path */ }
    }
}
