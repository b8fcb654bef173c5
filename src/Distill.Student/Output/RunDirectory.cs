using Distill.Data;
using Distill.Student.Export;
using Distill.Student.Training;

namespace Distill.Student.Output;

/// <summary>How a run treats an output directory that already holds a run.</summary>
public enum RunMode
{
    /// <summary>Refuse a directory holding a run, finished or interrupted.</summary>
    New,
    /// <summary>Replace the run there (its files are removed once the new run has passed every check).</summary>
    Overwrite,
    /// <summary>Continue the run there, whose recorded inputs (run.json) must equal the new ones.</summary>
    Resume,
}

/// <summary>
/// A run's output directory, owned by one process (<see cref="OutputLock"/>) from before anything in it is deleted
/// or written until the run ends: a second run into it is refused with the holder's pid. <see cref="Open"/> refuses
/// what the mode does not allow; <see cref="Begin"/> then checks a resumed run's identity, or (new run) removes the
/// old run's files with <see cref="RunMode.Overwrite"/> and records the new identity. Only files a run writes are
/// ever removed.
/// </summary>
public sealed class RunDirectory : IDisposable
{
    public const string RecipeFile = "recipe.json", SummaryFile = "summary.json", ModelFile = "model.dat";

    // What a run writes into its directory besides checkpoints/ and the TensorBoard events.
    private static readonly string[] RunFiles =
    {
        RunIdentity.FileName, RecipeFile, "metrics.jsonl", SummaryFile, ModelFile, "curves.png",
        StudentExport.OnnxFile, StudentExport.CardFile, StudentExport.SafetensorsFile,
    };
    private const string EventsPattern = "events.out.tfevents.*";
    // What a finished run writes into OUT/best/ (the best epoch's weights and export).
    private static readonly string[] BestFiles = { ModelFile, StudentExport.OnnxFile, StudentExport.CardFile, StudentExport.SafetensorsFile };
    private string BestDir => System.IO.Path.Combine(Path, Trainer.BestDirectory);

    private readonly OutputLock _lock;

    public string Path { get; }
    public RunMode Mode { get; }
    /// <summary>The identity recorded by the run found in the directory (resume), or null.</summary>
    public RunIdentity? Saved { get; }
    /// <summary>Whether a complete checkpoint is there to resume from.</summary>
    public bool HasCheckpoint => Checkpoint.Latest(Path) is not null;

    private RunDirectory(string path, RunMode mode, OutputLock held, RunIdentity? saved) { Path = path; Mode = mode; _lock = held; Saved = saved; }

    /// <summary>Locks <paramref name="path"/> (created if missing) and refuses a run there that <paramref name="mode"/> may not touch.</summary>
    public static RunDirectory Open(string path, RunMode mode)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DistillException("--out must name a directory");
        if (File.Exists(path)) throw new DistillException($"--out {path} is a file, not a directory");
        if (Directory.Exists(path) && Directory.EnumerateFiles(path, "*.parquet").Any())
            throw new DistillException($"--out {path} holds a logits cache; choose another directory for the run");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"cannot write to output directory {path}: {e.Message}", e);
        }
        var held = OutputLock.Acquire(path, $"output directory {path}");
        try
        {
            var found = Describe(path);
            RunIdentity? saved = null;
            if (found is not null && mode == RunMode.New)
                throw new DistillException(File.Exists(System.IO.Path.Combine(path, SummaryFile))
                    ? $"{path} already holds {found} (pass --overwrite to replace it, or choose another --out)"
                    : $"{path} holds {found}: continue it with --resume, or pass --overwrite to replace it");
            if (found is not null && mode == RunMode.Resume)
                saved = RunIdentity.Load(path) ?? throw new DistillException(
                    $"{path} holds {found} without {RunIdentity.FileName} (made by an older train-student?): its inputs cannot be checked, so it cannot be resumed; pass --overwrite to start over");
            return new RunDirectory(path, mode, held, saved);
        }
        catch { held.Dispose(); throw; }
    }

    /// <summary>"a finished run", "an interrupted run (epoch-0003 checkpointed)", or null when no run is there.</summary>
    private static string? Describe(string path)
    {
        if (File.Exists(System.IO.Path.Combine(path, SummaryFile))) return "a finished run";
        bool any = RunFiles.Any(f => File.Exists(System.IO.Path.Combine(path, f)))
                   || Directory.Exists(Checkpoint.Root(path)) || Directory.EnumerateFiles(path, EventsPattern).Any();
        if (!any) return null;
        return Checkpoint.Latest(path) is { } c ? $"an interrupted run ({System.IO.Path.GetFileName(c)} checkpointed)" : "an interrupted run";
    }

    /// <summary>
    /// Call once every input has been checked. Resume: refuses any difference from the recorded identity in one line.
    /// Otherwise: removes the old run (Overwrite) and records <paramref name="identity"/> (run.json, recipe.json).
    /// Leftover .tmp files of a killed run are removed either way.
    /// </summary>
    public void Begin(RunIdentity identity)
    {
        RemoveTemporaries();
        if (Saved is not null)
        {
            var differences = Saved.Differences(identity);
            if (differences.Count > 0)
                throw new DistillException($"--resume: {Path} was started with other inputs: {string.Join("; ", differences)}. " +
                    $"Resume with the run's own inputs, or start a new run (another --out, --overwrite, or --init-from {Path})");
            if (!File.Exists(System.IO.Path.Combine(Path, RecipeFile))) WriteRecipe(identity);   // killed between the two
            return;
        }
        if (Mode == RunMode.Overwrite) RemoveRun();
        AtomicFile.WriteText(System.IO.Path.Combine(Path, RunIdentity.FileName), identity.ToJson());
        WriteRecipe(identity);
    }

    private void WriteRecipe(RunIdentity identity) => AtomicFile.WriteText(System.IO.Path.Combine(Path, RecipeFile), identity.Recipe.ToJson() + "\n");

    private void RemoveRun()
    {
        try
        {
            foreach (var f in RunFiles) File.Delete(System.IO.Path.Combine(Path, f));
            foreach (var f in Directory.EnumerateFiles(Path, EventsPattern)) File.Delete(f);
            if (Directory.Exists(Checkpoint.Root(Path))) Directory.Delete(Checkpoint.Root(Path), recursive: true);
            if (Directory.Exists(BestDir))
            {
                foreach (var f in BestFiles) File.Delete(System.IO.Path.Combine(BestDir, f));
                if (!Directory.EnumerateFileSystemEntries(BestDir).Any()) Directory.Delete(BestDir);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DistillException($"--overwrite: cannot remove the old run in {Path}: {e.Message}", e);
        }
    }

    private void RemoveTemporaries()
    {
        foreach (var f in RunFiles) AtomicFile.TryDelete(System.IO.Path.Combine(Path, f + ".tmp"));
        foreach (var f in BestFiles) AtomicFile.TryDelete(System.IO.Path.Combine(BestDir, f + ".tmp"));
        var root = Checkpoint.Root(Path);
        if (Directory.Exists(root))
            foreach (var d in Directory.EnumerateDirectories(root, "*.tmp")) AtomicFile.TryDelete(d);
    }

    public void Dispose() => _lock.Dispose();
}
