using System.Security.Cryptography;
using Distill.Data;
using Distill.Student.Export;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// <c>--init-from RUN</c>: a new run starts from another run's weights (RUN/model.dat when RUN finished, else its
/// latest checkpoint) with a fresh optimizer and schedule, so training longer is a run of its own and never silently
/// redefines the first one's schedule. The bytes are read once: the SHA-256 recorded in run.json is that of the
/// weights loaded.
/// </summary>
public sealed class InitialWeights
{
    private readonly byte[] _bytes;

    public WeightsSource Source { get; }
    /// <summary>The student the weights were trained as (<see cref="RunIdentity.Student"/>).</summary>
    public string Architecture { get; }
    /// <summary>The source run's recipe: the new run's default one (flags apply on top).</summary>
    public Recipe Recipe { get; }

    private InitialWeights(WeightsSource source, RunIdentity run, byte[] bytes)
    {
        Source = source; Architecture = run.Student; Recipe = run.Recipe; _bytes = bytes;
    }

    public static InitialWeights FromRun(string runDir)
    {
        if (string.IsNullOrWhiteSpace(runDir)) throw new DistillException("--init-from must name a run directory");
        if (!Directory.Exists(runDir)) throw new DistillException($"--init-from {runDir}: directory not found");
        var run = RunIdentity.Load(runDir) ?? throw new DistillException($"--init-from {runDir}: not a train-student run (no {RunIdentity.FileName})");
        string file;
        byte[] bytes;
        if (File.Exists(Path.Combine(runDir, "summary.json")) && File.Exists(Path.Combine(runDir, "model.dat")))
        {
            file = "model.dat";
            bytes = Read(runDir, file);
        }
        else if (Checkpoint.Latest(runDir) is { } checkpoint)
        {
            var state = Checkpoint.ReadState(checkpoint);
            file = Path.GetRelativePath(runDir, Path.Combine(checkpoint, Checkpoint.ModelFile));
            bytes = Read(runDir, file);
            if (Sha(bytes) != state.Sha256![Checkpoint.ModelFile])
                throw new DistillException($"--init-from {runDir}: {file} differs from the SHA-256 its checkpoint recorded");
        }
        else throw new DistillException($"--init-from {runDir}: the run has no weights yet (no finished model.dat, no checkpoint)");
        return new InitialWeights(new WeightsSource(Path.GetFullPath(runDir), file, Sha(bytes)), run, bytes);
    }

    /// <summary>The weights a resumed run (<paramref name="run"/>) started from, as its run.json recorded them: the same bytes, or one line.</summary>
    public static InitialWeights Reopen(RunIdentity run)
    {
        var source = run.InitFrom ?? throw new ArgumentException("the run did not start from other weights", nameof(run));
        var path = Path.Combine(source.Run, source.File);
        if (!File.Exists(path))
            throw new DistillException($"the run started from {path}, which is gone; it cannot be resumed before its first checkpoint: start over with --overwrite");
        var bytes = Read(source.Run, source.File);
        if (Sha(bytes) != source.Sha256)
            throw new DistillException($"the run started from {path}, which has changed since; it cannot be resumed before its first checkpoint: start over with --overwrite");
        return new InitialWeights(source, run, bytes);
    }

    /// <summary>Loads the weights into <paramref name="student"/>; one line when they belong to another architecture.</summary>
    public void LoadInto(nn.Module student, string studentName)
    {
        var arch = StudentExport.Describe(student);
        if (arch != Architecture)
            throw new DistillException($"--init-from {Source.Run}: its student {Recipe.Student} is {Architecture}; this run's {studentName} is {arch}");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(_bytes));
            student.load(reader);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new DistillException($"--init-from {Source.Run}: {Source.File} cannot be loaded into {studentName} ({e.Message.Split('\n')[0]})");
        }
    }

    private static byte[] Read(string runDir, string file)
    {
        var path = Path.Combine(runDir, file);
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DistillException($"cannot read {path}: {e.Message}", e); }
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
