using static TorchSharp.torch;

namespace Distill.Student.Students;

/// <summary>
/// A student that returns named outputs: <c>logits</c> (or, for a multi-task student, its heads, e.g. <c>seg</c> and
/// <c>det</c>) plus the taps a term asks for (intermediate features). The built-in students implement it through
/// <see cref="LayerStudent"/>; a user's module may implement it too, or be tapped by submodule name through forward
/// hooks instead (<see cref="StudentOutputs"/>).
/// </summary>
public interface ITappedStudent
{
    /// <summary>The taps this student offers, in forward order.</summary>
    IReadOnlyList<string> TapNames { get; }

    /// <summary>The student's own outputs: <c>logits</c>, or the heads of a multi-task student.</summary>
    IReadOnlyList<string> OutputNames => new[] { "logits" };

    /// <summary>Runs the student once: every output of <see cref="OutputNames"/> and each requested tap ([B, ...]).</summary>
    IReadOnlyDictionary<string, Tensor> ForwardTaps(Tensor x, IReadOnlyCollection<string> taps);
}
