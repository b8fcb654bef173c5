namespace Distill.Data;

/// <summary>A user-facing problem with input data or configuration: the tools print its message as one line.</summary>
public class DistillException : Exception
{
    public DistillException(string message) : base(message) { }
    public DistillException(string message, Exception inner) : base(message, inner) { }
}
