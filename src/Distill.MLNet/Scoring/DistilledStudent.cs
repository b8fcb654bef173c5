namespace Distill.MLNet.Scoring;

/// <summary>
/// A distilled student ready for ML.NET: its scoring model (ONNX: the card's preprocessing, the student, softmax
/// and argmax, for one row at a time, as ML.NET's OnnxTransformer feeds it) and the class names of its predicted label.
/// </summary>
/// <param name="ScoringModel">ONNX bytes: input = the feature column (raw values), outputs <see cref="ScoreOutput"/>
/// [C] and <see cref="IndexOutput"/> [1] (the argmax, Int64).</param>
/// <param name="ClassNames">Name of each class, index = class.</param>
/// <param name="StudentName">The architecture (e.g. mlp-256-256).</param>
public sealed record DistilledStudent(byte[] ScoringModel, IReadOnlyList<string> ClassNames, string StudentName)
{
    /// <summary>The scoring model's outputs: softmax probabilities and the predicted class index (a temporary column).</summary>
    public const string ScoreOutput = "Score", IndexOutput = "distill_predicted_index";
}
