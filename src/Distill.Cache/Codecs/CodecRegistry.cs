using System.Text.Json.Nodes;
using Distill.Data;

namespace Distill.Cache;

/// <summary>
/// Every encoding by name: a codec is one file plus one line here. <see cref="Parse"/> turns an output's recorded
/// <c>"encoding"</c> entry back into its codec, once, when a part file's metadata is read.
/// </summary>
public static class CodecRegistry
{
    private static readonly Dictionary<string, Func<JsonObject, ColumnCodec>> Factories = new()
    {
        ["float32"] = Float32Codec.FromParameters,
        ["float16"] = Float16Codec.FromParameters,
        ["topk"] = TopKCodec.FromParameters,
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    /// <summary>The codec <paramref name="encoding"/> records for output <paramref name="output"/>; <paramref name="source"/> names the file in errors.</summary>
    public static ColumnCodec Parse(JsonObject? encoding, string output, string source)
    {
        string? name;
        try { name = encoding?["codec"]?.GetValue<string>(); }
        catch (InvalidOperationException) { name = null; }
        if (name is null) throw new DistillException($"{source}: output '{output}' records no encoding");
        if (!Factories.TryGetValue(name, out var factory))
            throw new DistillException($"{source}: output '{output}' is stored as '{name}', an encoding this build does not know (known: {string.Join(", ", Names)}); update the toolkit");
        try { return factory(encoding!); }
        catch (Exception e) when (e is FormatException or InvalidOperationException or DistillException)
        {
            throw new DistillException($"{source}: output '{output}' has an invalid encoding {encoding!.ToJsonString()} ({e.Message})");
        }
    }
}
