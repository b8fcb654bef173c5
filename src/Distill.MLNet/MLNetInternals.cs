using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Distill.MLNet;

/// <summary>
/// The two things ML.NET 5.0.1 keeps to its own assemblies that a third-party estimator needs, reached by reflection
/// in this one place: the environment behind a catalog (so progress goes to the user's <c>MLContext.Log</c> as with
/// ML.NET's own trainers) and the constructor of <see cref="SchemaShape.Column"/> (so an estimator can declare its
/// output columns, which <c>EstimatorChain.Fit</c> checks before fitting). Tests cover both.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The environment of <c>mlContext.Transforms</c>, <c>mlContext.MulticlassClassification.Trainers</c>, ...</summary>
    public static IHostEnvironment EnvironmentOf(object catalog)
    {
        var contract = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Microsoft.ML.Data.IInternalCatalog");
        return contract?.GetProperty("Environment")?.GetValue(catalog) as IHostEnvironment
            ?? throw new InvalidOperationException($"{catalog.GetType().Name} does not expose its ML.NET environment (Microsoft.ML other than 5.0.1?)");
    }

    private static readonly ConstructorInfo ColumnConstructor = typeof(SchemaShape.Column).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic, null,
            new[] { typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape) }, null)
        ?? throw new InvalidOperationException("SchemaShape.Column has no (name, kind, type, isKey, annotations) constructor (Microsoft.ML other than 5.0.1?)");

    /// <summary>A column of an estimator's declared output.</summary>
    public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey,
        SchemaShape? annotations = null) =>
        (SchemaShape.Column)ColumnConstructor.Invoke(new object?[] { name, kind, itemType, isKey, annotations });

    /// <summary>The annotations of a key column whose values have text names.</summary>
    public static SchemaShape KeyValuesAnnotation() => new(new[]
    {
        Column(Views.SchemaAnnotations.KeyValues, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false),
    });

    /// <summary><paramref name="input"/> with <paramref name="added"/> appended (an added column hides one of the same name).</summary>
    public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added)
    {
        var columns = input.ToDictionary(c => c.Name);
        foreach (var c in added) columns[c.Name] = c;
        return new SchemaShape(columns.Values);
    }
}

/// <summary>One-line messages to an ML.NET channel.</summary>
internal static class ChannelExtensions
{
    public static void Info(this IChannel channel, string message) => channel.Info(MessageSensitivity.None, message);
}
