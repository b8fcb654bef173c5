using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Distill.MLNet.Scoring;

/// <summary>
/// The predicted class index as a scalar: ML.NET's OnnxTransformer gives every output as a vector (here of one Int64:
/// it cannot read a scalar tensor back) and no built-in transform turns a one-element vector into a scalar, which the
/// value-to-key mapping needs to give a scalar key like ML.NET's trainers. Saved in a model by its contract name, so
/// loading a model registers this assembly first: <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(DistilledStudentTransformer).Assembly)</c>.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
public sealed class PredictedIndexMapping : CustomMappingFactory<PredictedIndexMapping.Vector, PredictedIndexMapping.Scalar>
{
    public const string ContractName = "Distill.PredictedIndex";
    /// <summary>The scalar column this mapping adds (temporary, dropped after the key mapping).</summary>
    public const string ScalarColumn = "distill_predicted_class";

    public sealed class Vector
    {
        [ColumnName(DistilledStudent.IndexOutput), VectorType(1)]
        public long[] Index { get; set; } = Array.Empty<long>();
    }

    public sealed class Scalar
    {
        [ColumnName(ScalarColumn)]
        public long Index { get; set; }
    }

    public static void Map(Vector input, Scalar output) => output.Index = input.Index[0];

    public override Action<Vector, Scalar> GetMapping() => Map;
}
