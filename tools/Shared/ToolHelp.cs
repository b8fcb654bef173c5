namespace Distill.Tools;

/// <summary>Every command's description ends with what to type: one way for all three tools.</summary>
internal static class ToolHelp
{
    /// <summary>The summary, then "Example: ..." (or "Examples:" with one per line).</summary>
    public static string Describe(string summary, params string[] examples) => examples.Length switch
    {
        0 => throw new ArgumentException("a command's help shows at least one example", nameof(examples)),
        1 => $"{summary}\nExample: {examples[0]}",
        _ => $"{summary}\nExamples:\n" + string.Join("\n", examples.Select(e => "  " + e)),
    };
}
