using System.Security.Cryptography;

namespace Distill.Data;

/// <summary>SHA-256 of a file's bytes, with an unreadable file as one-line <see cref="DistillException"/>.</summary>
public static class FileHash
{
    /// <param name="description">How errors name the file, e.g. "teacher model.onnx" (default: the path).</param>
    public static byte[] Sha256(string path, string? description = null)
    {
        try
        {
            using var f = File.OpenRead(path);
            return SHA256.HashData(f);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"cannot read {description ?? path}: {e.Message}", e);
        }
    }

    /// <summary>The same, as lower-case hex (how caches and recipes record teachers).</summary>
    public static string Sha256Hex(string path, string? description = null) => Convert.ToHexStringLower(Sha256(path, description));

    /// <summary>SHA-256 of many files, hashed in parallel; the first unreadable file in list order is the error.</summary>
    public static byte[][] Sha256All(IReadOnlyList<string> paths) => ParallelWork.Map(paths.Count, i => Sha256(paths[i]));
}
