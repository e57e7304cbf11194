namespace Rotoscope.Core.Imaging;

/// <summary>Encoded still-image formats the frame pipeline reads and writes.</summary>
public enum ImageFormat
{
    Jpeg,
    Png,
}
