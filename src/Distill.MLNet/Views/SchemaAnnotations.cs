using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Views;

/// <summary>ML.NET's annotation kinds this library writes: text names for a key's values and for a vector's slots.</summary>
internal static class SchemaAnnotations
{
    /// <summary>Names of a key column's values (ML.NET's "KeyValues"), e.g. the class names of a label.</summary>
    public const string KeyValues = "KeyValues";
    /// <summary>Names of a vector's slots (ML.NET's "SlotNames"), e.g. the class of each logit.</summary>
    public const string SlotNames = "SlotNames";

    /// <summary>Annotations holding <paramref name="names"/> under <paramref name="kind"/>; empty when names is null.</summary>
    public static DataViewSchema.Annotations Names(string kind, IReadOnlyList<string>? names)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (names is { Count: > 0 })
        {
            var values = names.Select(n => n.AsMemory()).ToArray();
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = (ref VBuffer<ReadOnlyMemory<char>> dst) =>
                dst = new VBuffer<ReadOnlyMemory<char>>(values.Length, values);
            builder.Add(kind, new VectorDataViewType(TextDataViewType.Instance, values.Length), getter);
        }
        return builder.ToAnnotations();
    }

    /// <summary>The text values of a key column, or null when it has none of text type.</summary>
    public static string[]? KeyNames(DataViewSchema.Column column)
    {
        var ann = column.Annotations.Schema.GetColumnOrNull(KeyValues);
        if (ann is not { Type: VectorDataViewType { ItemType: TextDataViewType } }) return null;
        var values = default(VBuffer<ReadOnlyMemory<char>>);
        column.Annotations.GetValue(KeyValues, ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }
}
