using System.Globalization;

namespace Distill.Samples.MLNet;

/// <summary>The sample's few "--name value" flags.</summary>
internal sealed class Flags(Dictionary<string, string> values)
{
    public static Flags Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--")) throw new ArgumentException($"expected --name value, got '{args[i]}'");
            values[args[i]] = args[i + 1];
        }
        if (args.Length % 2 != 0) throw new ArgumentException($"flag {args[^1]} has no value");
        return new Flags(values);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
