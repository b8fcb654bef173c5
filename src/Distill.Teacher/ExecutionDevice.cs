using Distill.Data;

namespace Distill.Teacher;

/// <summary>Where the teacher runs: <c>auto</c> (CUDA when its provider loads, else CPU), <c>cpu</c>, <c>cuda[:N]</c>.</summary>
public sealed record ExecutionDevice(string Kind, int DeviceId)
{
    public static ExecutionDevice Auto { get; } = new("auto", 0);
    public static ExecutionDevice Cpu { get; } = new("cpu", 0);

    public static ExecutionDevice Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "auto") return Auto;
        if (t == "cpu") return Cpu;
        if (t == "cuda") return new("cuda", 0);
        if (t.StartsWith("cuda:") && int.TryParse(t[5..], out int id) && id >= 0) return new("cuda", id);
        throw new DistillException($"--device expects auto, cpu, cuda or cuda:N, got '{text}'");
    }

    public override string ToString() => Kind == "cuda" ? $"cuda:{DeviceId}" : Kind;
}
