namespace Distill.MLNet.Training;

/// <summary>
/// The directory a Fit writes its run to: the user's (the trainer then owns it for the run like train-student's
/// --out: locked, refused when it holds a run, recipe and identity recorded) or a temporary one, removed when disposed.
/// </summary>
internal sealed class RunDirectory : IDisposable
{
    private readonly bool _temporary;

    public string Path { get; }

    private RunDirectory(string path, bool temporary) => (Path, _temporary) = (path, temporary);

    public static RunDirectory Open(string? directory)
    {
        if (directory is not null) return new RunDirectory(directory, temporary: false);
        // A fresh folder that does not exist yet: the trainer creates and locks it.
        var temp = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distill-mlnet-" + Guid.NewGuid().ToString("N"));
        return new RunDirectory(temp, temporary: true);
    }

    public void Dispose()
    {
        // A temporary run left behind (a file still open) is only clutter in the temp folder; the Fit's own outcome matters.
        if (_temporary) try { Directory.Delete(Path, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
