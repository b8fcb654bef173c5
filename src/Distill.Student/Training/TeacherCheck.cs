using Distill.Cache;
using Distill.Data;

namespace Distill.Student.Training;

/// <summary>
/// Refuses caches not made by the recipe's teacher (<see cref="Recipe.Teacher"/>: a path to the .onnx file or its
/// SHA-256), so a student is never distilled from the wrong teacher's logits by mistake.
/// </summary>
public static class TeacherCheck
{
    /// <summary>The recipe's teacher, resolved: how to name it in messages and its SHA-256 (lower-case hex).</summary>
    public sealed record Expected(string Name, string Sha256);

    /// <summary>
    /// The SHA-256s of the teachers behind a cache's <c>logits</c> column (what a student distills from): every
    /// teacher of a mean/mean-prob ensemble, else the one whose output it is (teacher 0 of a separate-columns cache).
    /// The only place that reads them; every comparison follows.
    /// </summary>
    public static IReadOnlyList<string> TeacherShas(CacheMetadata m)
    {
        int source = m.Outputs[0].Teacher;   // the reader checked it names a teacher or the average (-1)
        return source < 0 ? m.AllTeachers.Select(t => t.Sha256).ToArray() : new[] { m.AllTeachers[source].Sha256 };
    }

    /// <summary>True when <paramref name="sha256"/> is one of the cache's teachers.</summary>
    public static bool MadeBy(CacheMetadata m, string sha256) =>
        TeacherShas(m).Contains(sha256, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Checks the train cache and, when there is one, the test cache. Returns the recipe with its teacher as the
    /// SHA-256 (a path names a file, not a teacher), unchanged without a recipe teacher.
    /// </summary>
    public static Recipe Verify(Recipe recipe, TrainingData data)
    {
        if (Resolve(recipe.Teacher) is not { } expected) return recipe;
        Verify(data.Cache, expected);
        if (data.TestCache is not null) Verify(data.TestCache, expected);
        return recipe with { Teacher = expected.Sha256 };
    }

    public static void Verify(LogitCacheReader cache, Expected expected)
    {
        var m = cache.Metadata;
        if (MadeBy(m, expected.Sha256)) return;
        var behind = TeacherShas(m);
        var names = m.AllTeachers.Where(t => behind.Contains(t.Sha256)).Select(t => $"{t.File} ({Short(t.Sha256)})");
        throw new DistillException($"cache {cache.Directory} was made by teacher {string.Join(" + ", names)}, not by the recipe's teacher {expected.Name}");
    }

    /// <summary>A 64-hex-digit string is taken as the hash itself; anything else as the path of the teacher's file.</summary>
    public static Expected? Resolve(string? teacher)
    {
        if (teacher is null) return null;
        if (teacher.Length == 64 && teacher.All(Uri.IsHexDigit))
        {
            var sha = teacher.ToLowerInvariant();
            return new Expected(Short(sha), sha);
        }
        if (!File.Exists(teacher))
            throw new DistillException($"teacher {teacher} not found (--teacher takes the teacher's .onnx file or its 64-hex-digit SHA-256)");
        string hash = FileHash.Sha256Hex(teacher, $"teacher {teacher}");
        return new Expected($"{Path.GetFileName(teacher)} ({Short(hash)})", hash);
    }

    // 12 hex digits name a teacher unambiguously in practice, as the dataset fingerprints in cache errors do.
    private static string Short(string sha) => $"sha256 {sha[..Math.Min(12, sha.Length)]}…";
}
