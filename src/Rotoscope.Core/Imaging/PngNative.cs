using System.Runtime.InteropServices;

namespace Rotoscope.Core.Imaging;

/// <summary>P/Invoke bindings for the libpng 1.6 simplified API (Debian <c>libpng16-16</c>).</summary>
internal static unsafe partial class PngNative
{
    private const string Library = "libpng16.so.16";

    internal const uint ImageVersion = 1;   // PNG_IMAGE_VERSION
    internal const uint FormatRgb = 2;      // PNG_FORMAT_RGB (PNG_FORMAT_FLAG_COLOR)
    internal const uint FormatRgba = 3;     // PNG_FORMAT_RGBA (PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
    internal const uint FormatFlagAlpha = 1; // PNG_FORMAT_FLAG_ALPHA
    internal const uint FlagFast = 2;       // PNG_IMAGE_FLAG_FAST

    [LibraryImport(Library, EntryPoint = "png_image_begin_read_from_memory")]
    internal static partial int BeginReadFromMemory(PngImage* image, byte* memory, nuint size);

    [LibraryImport(Library, EntryPoint = "png_image_finish_read")]
    internal static partial int FinishRead(PngImage* image, PngColor* background, byte* buffer, int rowStride, void* colormap);

    [LibraryImport(Library, EntryPoint = "png_image_write_to_memory")]
    internal static partial int WriteToMemory(
        PngImage* image, byte* memory, nuint* memoryBytes, int convertTo8Bit, byte* buffer, int rowStride, void* colormap);

    [LibraryImport(Library, EntryPoint = "png_image_free")]
    internal static partial void Free(PngImage* image);

    internal static string MessageOf(PngImage* image)
    {
        // libpng terminates the message, but never read past the 64-byte field even if it did not.
        var text = new ReadOnlySpan<byte>(image->Message, 64);
        var end = text.IndexOf((byte)0);
        text = end >= 0 ? text[..end] : text;
        return text.IsEmpty ? "unknown libpng error" : System.Text.Encoding.UTF8.GetString(text);
    }
}

/// <summary>Mirrors libpng's <c>png_image</c>: a pointer, seven 32-bit fields and a 64-byte message (104 bytes on 64-bit).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PngImage
{
    public nint Opaque;
    public uint Version;
    public uint Width;
    public uint Height;
    public uint Format;
    public uint Flags;
    public uint ColormapEntries;
    public uint WarningOrError;
    public fixed byte Message[64];
}

/// <summary>Mirrors libpng's <c>png_color</c> (three bytes, no padding).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PngColor
{
    public byte Red;
    public byte Green;
    public byte Blue;
}
