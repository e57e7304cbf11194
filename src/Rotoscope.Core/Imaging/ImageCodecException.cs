namespace Rotoscope.Core.Imaging;

/// <summary>An image could not be decoded or encoded; carries the native codec's own error text.</summary>
public sealed class ImageCodecException : Exception
{
    public ImageCodecException()
    {
    }

    public ImageCodecException(string message)
        : base(message)
    {
    }

    public ImageCodecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImageCodecException(string message, string? nativeError)
        : base(nativeError is null ? message : $"{message}: {nativeError}")
    {
        NativeError = nativeError;
    }

    /// <summary>The error text reported by libjpeg-turbo or libpng, when the failure came from one of them.</summary>
    public string? NativeError { get; }
}
