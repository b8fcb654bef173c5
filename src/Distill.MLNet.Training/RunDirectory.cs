using Distill.Data;
using Distill.Student.Output;
using Distill.Student.Training;

namespace Distill.MLNet.Training;

/// <summary>
/// The directory a Fit writes its run to: the user's (locked for the run, refused when it holds a finished run, with
/// the recipe saved as train-student saves it) or a temporary one, removed when disposed.
/// </summary>
internal sealed class RunDirectory : IDisposable
{
    private readonly OutputLock? _lock;
    private readonly bool _temporary;

    public string Path { get; }

    private RunDirectory(string path, OutputLock? held, bool temporary) => (Path, _lock, _temporary) = (path, held, temporary);

    public static RunDirectory Open(string? directory, Recipe recipe)
    {
        if (directory is null)
        {
            var temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distill-mlnet-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(temp);
            return new RunDirectory(temp, null, temporary: true);
        }
        var held = OutputLock.Acquire(directory);
        try
        {
            if (File.Exists(System.IO.Path.Combine(directory, "summary.json")))
                throw new DistillException($"{directory} already holds a finished run (choose another OutputDirectory, or delete it)");
            MetricsWriter.AtomicWrite(System.IO.Path.Combine(directory, "recipe.json"), TeacherCheck.WithTeacherHash(recipe).ToJson() + "\n");
            return new RunDirectory(directory, held, temporary: false);
        }
        catch { held.Dispose(); throw; }
    }

    public void Dispose()
    {
        _lock?.Dispose();
        // A temporary run left behind (a file still open) is only clutter in the temp folder; the Fit's own outcome matters.
        if (_temporary) try { Directory.Delete(Path, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
