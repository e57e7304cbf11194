namespace Rotoscope.Core.Inference;

/// <summary>A failure in ONNX Runtime or in a model it loads; the message says what to do and carries ORT's own text.</summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException()
    {
    }

    public OnnxRuntimeException(string message)
        : base(message)
    {
    }

    public OnnxRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OnnxRuntimeException(string message, string? statusText)
        : base(message)
    {
        StatusText = statusText;
    }

    /// <summary>The error text of the ONNX Runtime status behind this failure, when there was one.</summary>
    public string? StatusText { get; }
}
