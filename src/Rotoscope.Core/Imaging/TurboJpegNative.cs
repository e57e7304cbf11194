using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Rotoscope.Core.Imaging;

/// <summary>P/Invoke bindings for the TurboJPEG 2.1 API in libjpeg-turbo (Debian <c>libturbojpeg0</c>).</summary>
internal static unsafe partial class TurboJpegNative
{
    private const string Library = "libturbojpeg.so.0";

    internal const int PixelFormatRgb = 0;      // TJPF_RGB
    internal const int Subsampling444 = 0;      // TJSAMP_444
    internal const int FlagNoRealloc = 1024;    // TJFLAG_NOREALLOC
    internal const int FlagAccurateDct = 4096;  // TJFLAG_ACCURATEDCT
    internal const int ErrorWarning = 0;        // TJERR_WARNING

    [LibraryImport(Library, EntryPoint = "tjInitCompress")]
    internal static partial TurboJpegHandle InitCompress();

    [LibraryImport(Library, EntryPoint = "tjInitDecompress")]
    internal static partial TurboJpegHandle InitDecompress();

    [LibraryImport(Library, EntryPoint = "tjDestroy")]
    internal static partial int Destroy(nint handle);

    [LibraryImport(Library, EntryPoint = "tjDecompressHeader3")]
    internal static partial int DecompressHeader3(
        TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(Library, EntryPoint = "tjDecompress2")]
    internal static partial int Decompress2(
        TurboJpegHandle handle, byte* jpegBuf, CULong jpegSize,
        byte* dstBuf, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library, EntryPoint = "tjCompress2")]
    internal static partial int Compress2(
        TurboJpegHandle handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat,
        byte** jpegBuf, CULong* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Library, EntryPoint = "tjBufSize")]
    internal static partial CULong BufSize(int width, int height, int jpegSubsamp);

    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    internal static partial byte* GetErrorStr2(TurboJpegHandle handle);

    // A null handle asks for the error of the last failed tjInit* call.
    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    internal static partial byte* GetGlobalErrorStr(nint handle);

    [LibraryImport(Library, EntryPoint = "tjGetErrorCode")]
    internal static partial int GetErrorCode(TurboJpegHandle handle);

    internal static string ErrorText(TurboJpegHandle handle) => ToText(GetErrorStr2(handle));

    internal static string GlobalErrorText() => ToText(GetGlobalErrorStr(0));

    private static string ToText(byte* text) =>
        text is null ? "unknown TurboJPEG error" : Marshal.PtrToStringUTF8((nint)text) ?? "unknown TurboJPEG error";
}

/// <summary>Owns one TurboJPEG compressor or decompressor instance.</summary>
internal sealed class TurboJpegHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public TurboJpegHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => TurboJpegNative.Destroy(handle) == 0;
}
