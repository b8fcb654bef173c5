using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.Student.Training;

/// <summary>
/// Per-epoch checkpoint in OUT/checkpoints/epoch-NNNN/: model.dat (TorchSharp format), optimizer.dat and state.json.
/// Written into epoch-NNNN.tmp and renamed when complete, so a directory without .tmp is never partial; older
/// checkpoints are deleted afterwards. <see cref="LoadLatest"/> picks the newest complete one.
/// </summary>
public static class Checkpoint
{
    public sealed record State(int Epoch, long Step, double ElapsedSeconds, List<EpochMetrics> History);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string Root(string outDir) => Path.Combine(outDir, "checkpoints");

    public static void Save(string outDir, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, State state)
    {
        var root = Root(outDir);
        Directory.CreateDirectory(root);
        var name = $"epoch-{state.Epoch:D4}";
        var tmp = Path.Combine(root, name + ".tmp");
        var final = Path.Combine(root, name);
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        model.save(Path.Combine(tmp, "model.dat"));
        optimizer.save_state_dict(Path.Combine(tmp, "optimizer.dat"));
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state, Json));
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(tmp, final);
        foreach (var old in Directory.GetDirectories(root))
            if (Path.GetFileName(old) != name) Directory.Delete(old, true);
    }

    /// <summary>Loads the newest complete checkpoint into <paramref name="model"/> and <paramref name="optimizer"/>; null when there is none.</summary>
    public static State? LoadLatest(string outDir, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        var root = Root(outDir);
        if (!Directory.Exists(root)) return null;
        var latest = Directory.GetDirectories(root)
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "state.json")))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
        if (latest is null) return null;
        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(latest, "state.json")), Json)
            ?? throw new Distill.Data.DistillException($"{latest}/state.json is empty");
        model.load(Path.Combine(latest, "model.dat"));
        optimizer.load_state_dict(Path.Combine(latest, "optimizer.dat"));
        return state;
    }
}
