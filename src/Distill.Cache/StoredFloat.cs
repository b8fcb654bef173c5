using Distill.Data;

namespace Distill.Cache;

/// <summary>The type logit values are stored in (<c>--dtype</c>): float32 as computed, or float16.</summary>
public enum StoredFloat { Float32, Float16 }

public static class StoredFloats
{
    public static string Name(this StoredFloat t) => t == StoredFloat.Float16 ? "float16" : "float32";

    public static StoredFloat? TryParse(string? text) => text switch { "float32" => StoredFloat.Float32, "float16" => StoredFloat.Float16, _ => null };
}
