using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distill.Data;

namespace Distill.Student.Losses;

/// <summary>
/// Base of every loss's own parameter record: its properties (snake_case in recipes and loss-eval cases) carry the
/// paper's defaults, <see cref="Validate"/> checks their values. A loss reads only its record, so a parameter it does
/// not take is refused by name (<see cref="Bind"/>) instead of being ignored.
/// </summary>
public abstract record LossParameters
{
    /// <summary>Throws <see cref="DistillException"/> naming the loss and the bad parameter.</summary>
    public virtual void Validate(string loss) { }

    protected static void Require(bool ok, string loss, string parameter, string why, object value)
    {
        if (!ok) throw new DistillException($"loss '{loss}': {parameter} {why}, got {value}");
    }

    protected static void NonNegative(string loss, string parameter, double v) =>
        Require(v >= 0 && double.IsFinite(v), loss, parameter, "must be a finite number ≥ 0", v);

    protected static void PositiveTemperature(string loss, double t) =>
        Require(t > 0 && double.IsFinite(t), loss, "temperature", "must be a positive number", t);

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The snake_case names a parameter record of type <paramref name="type"/> takes.</summary>
    public static IReadOnlyList<string> NamesOf(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.DeclaringType != typeof(LossParameters) && p.Name != "EqualityContract")
        .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();

    /// <summary>
    /// The record of type <paramref name="type"/> with the given values over its defaults, validated. A key the record
    /// does not have is one line naming the loss and the parameters it takes.
    /// </summary>
    public static LossParameters Bind(Type type, string loss, IReadOnlyDictionary<string, JsonNode?> values)
    {
        var names = NamesOf(type);
        foreach (var key in values.Keys)
            if (!names.Contains(key))
                throw new DistillException($"loss '{loss}' does not take '{key}' (it takes: {(names.Count == 0 ? "no parameters" : string.Join(", ", names))})");
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v?.DeepClone();
        LossParameters p;
        try { p = (LossParameters)(o.Deserialize(type, Json) ?? Activator.CreateInstance(type)!); }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : "a parameter";
            throw new DistillException($"loss '{loss}': {field} has the wrong type (expected {Describe(type, field)})");
        }
        p.Validate(loss);
        return p;
    }

    private static string Describe(Type type, string field)
    {
        var prop = type.GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == field);
        var t = Nullable.GetUnderlyingType(prop?.PropertyType ?? typeof(object)) ?? prop?.PropertyType;
        return t == typeof(bool) ? "true or false" : t == typeof(int) ? "an integer" : t == typeof(double) ? "a number" : "another type";
    }
}

/// <summary>For losses without parameters (hint_mse, hint_cosine).</summary>
public sealed record NoParameters : LossParameters;
