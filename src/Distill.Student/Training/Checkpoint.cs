using System.Globalization;
using System.Text.Json;
using Distill.Data;
using Distill.Student.Output;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Per-epoch checkpoint in OUT/checkpoints/epoch-NNNN/: model.dat (TorchSharp format), optimizer.dat, best.dat (the
/// student's weights at the best epoch so far, <see cref="BestEpoch"/>, when there is one) and state.json (written last,
/// with the SHA-256 of the others). Written into epoch-NNNN.tmp, every file flushed to disk, and
/// renamed when complete, so a directory without .tmp is never partial; a failed save removes its .tmp and leaves the
/// previous checkpoint untouched, which is deleted only once the new one has its final name.
/// <see cref="LoadLatest"/> picks the newest complete one and names the file when one is unreadable or altered.
/// </summary>
public static class Checkpoint
{
    public const string ModelFile = "model.dat", OptimizerFile = "optimizer.dat", StateFile = "state.json", BestFile = "best.dat";

    /// <param name="Sha256">SHA-256 (hex) of model.dat and optimizer.dat, by file name.</param>
    public sealed record State(int Epoch, long Step, double ElapsedSeconds, List<EpochMetrics> History,
        Dictionary<string, string>? Sha256 = null);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string Root(string outDir) => Path.Combine(outDir, "checkpoints");

    private static string Name(int epoch) => $"epoch-{epoch:D4}";

    /// <param name="bestWeights">The student's weights at the best epoch so far (TorchSharp format), kept as best.dat.</param>
    public static void Save(string outDir, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, State state, byte[]? bestWeights = null)
    {
        var root = Root(outDir);
        var name = Name(state.Epoch);
        var tmp = Path.Combine(root, name + ".tmp");
        var final = Path.Combine(root, name);
        try
        {
            Directory.CreateDirectory(root);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            Directory.CreateDirectory(tmp);
            var hashes = new Dictionary<string, string>
            {
                [ModelFile] = WriteSynced(Path.Combine(tmp, ModelFile), p => model.save(p)),
                [OptimizerFile] = WriteSynced(Path.Combine(tmp, OptimizerFile), p => optimizer.save_state_dict(p)),
            };
            if (bestWeights is not null) hashes[BestFile] = WriteSynced(Path.Combine(tmp, BestFile), p => File.WriteAllBytes(p, bestWeights));
            WriteSynced(Path.Combine(tmp, StateFile), p => File.WriteAllText(p, JsonSerializer.Serialize(state with { Sha256 = hashes }, Json)));
            if (Directory.Exists(final)) Directory.Delete(final, true);
            Directory.Move(tmp, final);
        }
        catch (Exception e)
        {
            AtomicFile.TryDelete(tmp);
            if (e is IOException or UnauthorizedAccessException) throw AtomicFile.Failed(final, e);
            throw;
        }
        foreach (var old in Directory.GetDirectories(root))
            if (Path.GetFileName(old) != name) Directory.Delete(old, true);
    }

    private static string WriteSynced(string path, Action<string> write)
    {
        write(path);
        AtomicFile.FlushToDisk(path);
        return FileHash.Sha256Hex(path);
    }

    /// <summary>The newest complete checkpoint directory (epoch-NNNN, not .tmp), or null.</summary>
    public static string? Latest(string outDir)
    {
        var root = Root(outDir);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Where(d => EpochOf(d) is not null)
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    private static int? EpochOf(string dir)
    {
        var n = Path.GetFileName(dir);
        return n.Length == 10 && n.StartsWith("epoch-", StringComparison.Ordinal)
            && int.TryParse(n.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
    }

    /// <summary>
    /// Loads the newest complete checkpoint into <paramref name="model"/> and <paramref name="optimizer"/>; null when
    /// there is none. A missing, unreadable or altered file is one line naming it.
    /// </summary>
    public static State? LoadLatest(string outDir, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        if (Latest(outDir) is not { } dir) return null;
        var state = ReadState(dir);
        Load(dir, ModelFile, state, p => model.load(p));
        Load(dir, OptimizerFile, state, p => optimizer.load_state_dict(p));
        return state;
    }

    /// <summary>The state of checkpoint <paramref name="dir"/>, checked against its directory name.</summary>
    public static State ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        if (!File.Exists(path)) throw Corrupt(path, "missing");
        State? state;
        try { state = JsonSerializer.Deserialize<State>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw Corrupt(path, JsonProblem.Describe(e)); }
        catch (IOException e) { throw Corrupt(path, AtomicFile.Reason(e)); }
        if (state is null || state.History is null || state.Sha256 is null
            || !state.Sha256.ContainsKey(ModelFile) || !state.Sha256.ContainsKey(OptimizerFile))
            throw Corrupt(path, "fields are missing");
        if (state.Epoch != EpochOf(dir) || state.History.Count != state.Epoch || state.Step < 0)
            throw Corrupt(path, $"it describes epoch {state.Epoch} with {state.History.Count} epochs of history, in {Path.GetFileName(dir)}");
        return state;
    }

    /// <summary>The best epoch's weights kept in checkpoint <paramref name="dir"/> (best.dat), checked against state.json.</summary>
    public static byte[] LoadBest(string dir, State state)
    {
        if (!state.Sha256!.ContainsKey(BestFile)) throw Corrupt(Path.Combine(dir, BestFile), "missing, though the history has a best epoch");
        byte[] bytes = Array.Empty<byte>();
        Load(dir, BestFile, state, p => bytes = File.ReadAllBytes(p));
        return bytes;
    }

    /// <summary>Checks a checkpoint file against the hash in state.json, then loads it.</summary>
    public static void Load(string dir, string file, State state, Action<string> load)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) throw Corrupt(path, "missing");
        if (FileHash.Sha256Hex(path) != state.Sha256![file]) throw Corrupt(path, "its SHA-256 differs from the one recorded in state.json");
        try { load(path); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Corrupt(path, e.Message.Split('\n')[0]);
        }
    }

    private static DistillException Corrupt(string path, string why) =>
        new($"checkpoint file {path} is unreadable ({why}); the run cannot resume from it: start over with --overwrite");
}
