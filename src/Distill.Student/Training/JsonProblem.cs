using System.Text.Json;

namespace Distill.Student.Training;

/// <summary>What is wrong with a run's JSON file, in words a user can act on (no .NET type names).</summary>
internal static class JsonProblem
{
    public static string Describe(JsonException e)
    {
        const string missing = "missing required properties including: ";
        int at = e.Message.IndexOf(missing, StringComparison.Ordinal);
        if (at >= 0) return "fields missing: " + e.Message[(at + missing.Length)..].Split('\n')[0].TrimEnd('.');
        return e.LineNumber is long line ? $"invalid JSON at line {line + 1}" : "invalid JSON";
    }
}
