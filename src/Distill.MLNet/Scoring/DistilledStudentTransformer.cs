using Distill.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Distill.MLNet.Scoring;

/// <summary>
/// The distilled student as an ML.NET transformer: scores a feature column of raw values into <c>Score</c> (the
/// softmax probabilities, a Single vector of C) and <c>PredictedLabel</c> (a key over the C classes, named by the
/// class names), like ML.NET's own multiclass trainers, so <c>MulticlassClassification.Evaluate</c> and prediction
/// engines work unchanged. It runs in ONNX Runtime (ML.NET's OnnxTransformer, then <see cref="PredictedIndexMapping"/>
/// and a value-to-key mapping), never TorchSharp. <c>mlContext.Model.Save</c> writes it as that chain of transformers
/// with the ONNX model inside the .zip; <c>mlContext.Model.Load</c> needs Microsoft.ML, its OnnxTransformer and this
/// assembly, registered first: <c>mlContext.ComponentCatalog.RegisterAssembly(typeof(DistilledStudentTransformer).Assembly)</c>.
/// </summary>
public sealed class DistilledStudentTransformer : ISingleFeaturePredictionTransformer<DistilledStudent>
{
    private readonly ITransformer _chain;

    public DistilledStudent Model { get; }
    public string FeatureColumnName { get; }
    public DataViewType FeatureColumnType { get; }

    /// <param name="trainingSchema">Data with the feature column (only its schema is used).</param>
    public DistilledStudentTransformer(DistilledStudent model, IDataView trainingSchema, string featureColumnName,
        string scoreColumnName = "Score", string predictedLabelColumnName = "PredictedLabel")
    {
        Model = model;
        FeatureColumnName = featureColumnName;
        FeatureColumnType = trainingSchema.Schema.GetColumnOrNull(featureColumnName)?.Type
            ?? throw new DistillException($"the data has no feature column '{featureColumnName}'");
        if (model.ClassNames.Distinct().Count() != model.ClassNames.Count)
            throw new DistillException($"class names must differ to name the predicted label: {string.Join(", ", model.ClassNames)}");
        var ml = new MLContext();
        var names = model.ClassNames.Select((name, c) => new KeyValuePair<long, string>(c, name));
        var scoring = ml.Transforms.ApplyOnnxModel(
                outputColumnNames: new[] { DistilledStudent.ScoreOutput, DistilledStudent.IndexOutput },
                inputColumnNames: new[] { featureColumnName }, modelBytes: new MemoryStream(model.ScoringModel))
            .Append(ml.Transforms.CustomMapping<PredictedIndexMapping.Vector, PredictedIndexMapping.Scalar>(PredictedIndexMapping.Map, PredictedIndexMapping.ContractName))
            .Append(ml.Transforms.Conversion.MapValue(predictedLabelColumnName, names, PredictedIndexMapping.ScalarColumn, treatValuesAsKeyType: true))
            .Append(ml.Transforms.DropColumns(DistilledStudent.IndexOutput, PredictedIndexMapping.ScalarColumn));
        IEstimator<ITransformer> chain = scoring;
        if (scoreColumnName != DistilledStudent.ScoreOutput)
            chain = scoring.Append(ml.Transforms.CopyColumns(scoreColumnName, DistilledStudent.ScoreOutput))
                .Append(ml.Transforms.DropColumns(DistilledStudent.ScoreOutput));
        _chain = chain.Fit(trainingSchema);
    }

    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _chain.GetRowToRowMapper(inputSchema);
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);
    public IDataView Transform(IDataView input) => _chain.Transform(input);

    /// <summary>Saved as its chain of ML.NET transformers (OnnxTransformer with the model bytes, index mapping, value mapping, column drop).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);
}
