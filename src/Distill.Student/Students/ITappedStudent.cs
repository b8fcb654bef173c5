using static TorchSharp.torch;

namespace Distill.Student.Students;

/// <summary>
/// A student that returns named outputs: <c>logits</c> plus the taps a term asks for (intermediate features). The
/// built-in students implement it through <see cref="LayerStudent"/>; a user's module may implement it too, or be tapped
/// by submodule name through forward hooks instead (<see cref="StudentOutputs"/>).
/// </summary>
public interface ITappedStudent
{
    /// <summary>The taps this student offers, in forward order.</summary>
    IReadOnlyList<string> TapNames { get; }

    /// <summary>Runs the student once: "logits" and each requested tap ([B, ...]).</summary>
    IReadOnlyDictionary<string, Tensor> ForwardTaps(Tensor x, IReadOnlyCollection<string> taps);
}
