using System.Buffers;
using System.Runtime.InteropServices;

namespace Rotoscope.Core.Imaging;

/// <summary>Decodes and encodes JPEG (libjpeg-turbo) and PNG (libpng) frames; not thread-safe, use one per worker.</summary>
public sealed unsafe class ImageCodec : IDisposable
{
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly int _jpegQuality;
    private readonly TurboJpegHandle _compressor;
    private readonly TurboJpegHandle _decompressor;

    /// <param name="jpegQuality">JPEG quality 1..100; JPEG output always uses 4:4:4 chroma so styled edges keep their colour.</param>
    public ImageCodec(int jpegQuality = 95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(jpegQuality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jpegQuality, 100);
        _jpegQuality = jpegQuality;
        _compressor = InitHandle(compress: true);
        try
        {
            _decompressor = InitHandle(compress: false);
        }
        catch
        {
            _compressor.Dispose();
            throw;
        }
    }

    /// <summary>Recognizes JPEG and PNG by their leading bytes; null for anything else.</summary>
    public static ImageFormat? Detect(ReadOnlySpan<byte> encoded)
    {
        if (encoded.StartsWith(JpegSignature))
        {
            return ImageFormat.Jpeg;
        }

        return encoded.StartsWith(PngSignature) ? ImageFormat.Png : null;
    }

    /// <summary>Decodes a JPEG or PNG (detected by signature) to 8-bit RGB; alpha is composited on black.</summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded)
    {
        ObjectDisposedException.ThrowIf(_decompressor.IsClosed, this);
        if (encoded.IsEmpty)
        {
            throw new ImageCodecException("Cannot decode an image from empty input (0 bytes).");
        }

        return Detect(encoded) switch
        {
            ImageFormat.Jpeg => DecodeJpeg(encoded),
            ImageFormat.Png => DecodePng(encoded),
            _ => throw new ImageCodecException(
                $"Input of {encoded.Length} bytes is neither JPEG nor PNG (starts with {Convert.ToHexString(encoded[..Math.Min(8, encoded.Length)])})."),
        };
    }

    /// <summary>
    /// Decodes like <see cref="Decode"/>, but keeps a PNG's transparency apart: <paramref name="alpha"/> gets one byte per
    /// pixel (and the image the unblended colours) when the PNG has an alpha channel or a transparent colour; else null.
    /// </summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded, out byte[]? alpha)
    {
        alpha = null;
        return Detect(encoded) == ImageFormat.Png ? DecodePng(encoded, out alpha) : Decode(encoded);
    }

    /// <summary>
    /// Encodes interleaved RGB (exactly width*height*3 bytes) as JPEG at <paramref name="jpegQuality"/> (default: the
    /// configured quality) or as lossless PNG.
    /// </summary>
    public byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height, ImageFormat format, int? jpegQuality = null)
    {
        ObjectDisposedException.ThrowIf(_compressor.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!RgbImage.TryGetByteCount(width, height, out var byteCount) || rgb.Length != byteCount)
        {
            throw new ArgumentException(
                $"Expected exactly {(long)width * height * 3} bytes of RGB for {width}x{height}, got {rgb.Length}.", nameof(rgb));
        }

        return format switch
        {
            ImageFormat.Jpeg => EncodeJpeg(rgb, width, height, jpegQuality ?? _jpegQuality),
            ImageFormat.Png => EncodePng(rgb, width, height),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown image format."),
        };
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
    }

    private static TurboJpegHandle InitHandle(bool compress)
    {
        var handle = compress ? TurboJpegNative.InitCompress() : TurboJpegNative.InitDecompress();
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new ImageCodecException(
                $"Could not create a TurboJPEG {(compress ? "compressor" : "decompressor")}", TurboJpegNative.GlobalErrorText());
        }

        return handle;
    }

    private RgbImage DecodeJpeg(ReadOnlySpan<byte> encoded)
    {
        fixed (byte* source = encoded)
        {
            var size = new CULong((nuint)encoded.Length);
            if (TurboJpegNative.DecompressHeader3(_decompressor, source, size, out var width, out var height, out _, out _) != 0)
            {
                throw JpegError($"Cannot read the JPEG header ({encoded.Length} bytes)", _decompressor);
            }

            EnsureDecodableSize(width, height, "JPEG");
            var image = RgbImage.CreateUninitialized(width, height);
            try
            {
                fixed (byte* target = image.Pixels)
                {
                    // A warning (e.g. premature end of data) also returns -1: a truncated frame is an error here,
                    // because a half-grey frame would silently end up in the rendered video.
                    var result = TurboJpegNative.Decompress2(
                        _decompressor, source, size, target, width, width * 3, height, TurboJpegNative.PixelFormatRgb, 0);
                    if (result != 0)
                    {
                        throw JpegError($"Cannot decode the {width}x{height} JPEG ({encoded.Length} bytes)", _decompressor);
                    }
                }

                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
        }
    }

    private byte[] EncodeJpeg(ReadOnlySpan<byte> rgb, int width, int height, int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var bound = TurboJpegNative.BufSize(width, height, TurboJpegNative.Subsampling444).Value;
        if (bound == 0 || bound > (nuint)Array.MaxLength)
        {
            throw new ImageCodecException($"A {width}x{height} JPEG is too large to encode into one buffer.");
        }

        // NOREALLOC into a pooled worst-case buffer: no native allocation per frame, and no tjFree to forget.
        var buffer = ArrayPool<byte>.Shared.Rent((int)bound);
        try
        {
            fixed (byte* source = rgb)
            fixed (byte* target = buffer)
            {
                var output = target;
                var size = new CULong((nuint)buffer.Length);
                var result = TurboJpegNative.Compress2(
                    _compressor, source, width, width * 3, height, TurboJpegNative.PixelFormatRgb,
                    &output, &size, TurboJpegNative.Subsampling444, quality,
                    TurboJpegNative.FlagNoRealloc | TurboJpegNative.FlagAccurateDct);
                if (result != 0)
                {
                    throw JpegError($"Cannot encode the {width}x{height} JPEG", _compressor);
                }

                return buffer.AsSpan(0, checked((int)size.Value)).ToArray();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static RgbImage DecodePng(ReadOnlySpan<byte> encoded) => DecodePng(encoded, out _, keepAlpha: false);

    private static RgbImage DecodePng(ReadOnlySpan<byte> encoded, out byte[]? alpha, bool keepAlpha = true)
    {
        alpha = null;
        var png = new PngImage { Version = PngNative.ImageVersion };
        fixed (byte* source = encoded)
        {
            try
            {
                // libpng keeps reading from `source` until finish_read, so both calls stay inside this fixed block.
                if (PngNative.BeginReadFromMemory(&png, source, (nuint)encoded.Length) == 0)
                {
                    throw new ImageCodecException($"Cannot read the PNG header ({encoded.Length} bytes)", PngNative.MessageOf(&png));
                }

                var width = checked((int)png.Width);
                var height = checked((int)png.Height);
                EnsureDecodableSize(width, height, "PNG");
                if (keepAlpha && (png.Format & PngNative.FormatFlagAlpha) != 0)
                {
                    return FinishPngWithAlpha(&png, encoded.Length, out alpha);
                }

                png.Format = PngNative.FormatRgb;
                var image = RgbImage.CreateUninitialized(width, height);
                try
                {
                    var black = default(PngColor);
                    fixed (byte* target = image.Pixels)
                    {
                        if (PngNative.FinishRead(&png, &black, target, width * 3, null) == 0)
                        {
                            throw new ImageCodecException(
                                $"Cannot decode the {width}x{height} PNG ({encoded.Length} bytes)", PngNative.MessageOf(&png));
                        }
                    }

                    return image;
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
            }
            finally
            {
                // Safe after success or failure: libpng clears `opaque` once it has released the control block.
                PngNative.Free(&png);
            }
        }
    }

    // Reads RGBA (8-bit colour is not premultiplied) and splits it into the colours and the alpha plane.
    private static RgbImage FinishPngWithAlpha(PngImage* png, int length, out byte[]? alpha)
    {
        var (width, height) = ((int)png->Width, (int)png->Height);
        if ((long)width * height * 4 > Array.MaxLength)
        {
            throw new ImageCodecException($"The PNG declares an unsupported size {width}x{height}.");
        }

        png->Format = PngNative.FormatRgba;
        var rgba = ArrayPool<byte>.Shared.Rent(width * height * 4);
        var image = RgbImage.CreateUninitialized(width, height);
        try
        {
            fixed (byte* target = rgba)
            {
                if (PngNative.FinishRead(png, null, target, width * 4, null) == 0)
                {
                    throw new ImageCodecException($"Cannot decode the {width}x{height} PNG ({length} bytes)", PngNative.MessageOf(png));
                }
            }

            var pixels = image.Pixels;
            alpha = new byte[width * height];
            for (var i = 0; i < alpha.Length; i++)
            {
                pixels[3 * i] = rgba[4 * i];
                pixels[(3 * i) + 1] = rgba[(4 * i) + 1];
                pixels[(3 * i) + 2] = rgba[(4 * i) + 2];
                alpha[i] = rgba[(4 * i) + 3];
            }

            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    /// <summary>Encodes interleaved RGB and an alpha plane (one byte per pixel) as a lossless RGBA PNG.</summary>
    public static byte[] EncodePng(ReadOnlySpan<byte> rgb, ReadOnlySpan<byte> alpha, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height * 4 > Array.MaxLength || rgb.Length != width * height * 3 || alpha.Length != width * height)
        {
            throw new ArgumentException($"Expected {width}x{height} RGB and alpha planes, got {rgb.Length} and {alpha.Length} bytes.", nameof(rgb));
        }

        var rgba = ArrayPool<byte>.Shared.Rent(width * height * 4);
        try
        {
            for (var i = 0; i < alpha.Length; i++)
            {
                rgba[4 * i] = rgb[3 * i];
                rgba[(4 * i) + 1] = rgb[(3 * i) + 1];
                rgba[(4 * i) + 2] = rgb[(3 * i) + 2];
                rgba[(4 * i) + 3] = alpha[i];
            }

            var bytes = width * height * 4;
            return EncodePng(rgba.AsSpan(0, bytes), width, height, (int)Math.Min(Array.MaxLength, bytes + (2L * height) + (bytes / 1000) + 4096), PngNative.FormatRgba);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    // Stored (incompressible) data costs one filter byte per row plus a few bytes per deflate block;
    // if the estimate still falls short, libpng reports the exact size and the second attempt uses it.
    private static byte[] EncodePng(ReadOnlySpan<byte> rgb, int width, int height) =>
        EncodePng(rgb, width, height, (int)Math.Min(Array.MaxLength, rgb.Length + (2L * height) + (rgb.Length / 1000) + 4096));

    internal static byte[] EncodePng(ReadOnlySpan<byte> rgb, int width, int height, int initialCapacity, uint format = PngNative.FormatRgb)
    {
        var capacity = initialCapacity;
        for (var attempt = 0; ; attempt++)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(capacity);
            try
            {
                var size = TryWritePng(rgb, width, height, buffer, format);
                if (size <= (nuint)buffer.Length)
                {
                    return buffer.AsSpan(0, (int)size).ToArray();
                }

                if (attempt > 0 || size > (nuint)Array.MaxLength)
                {
                    throw new ImageCodecException($"A {width}x{height} PNG needs {size} bytes, more than one buffer holds.");
                }

                capacity = (int)size;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // Returns the encoded length; a value above target.Length means the target was too small and nothing was written.
    private static nuint TryWritePng(ReadOnlySpan<byte> pixels, int width, int height, Span<byte> target, uint format)
    {
        var png = new PngImage
        {
            Version = PngNative.ImageVersion,
            Width = (uint)width,
            Height = (uint)height,
            Format = format,

            // Frames are intermediates: about 2-3x faster writes for a few percent larger files.
            Flags = PngNative.FlagFast,
        };
        var capacity = (nuint)target.Length;
        var size = capacity;
        try
        {
            fixed (byte* source = pixels)
            fixed (byte* output = target)
            {
                if (PngNative.WriteToMemory(&png, output, &size, 0, source, width * (format == PngNative.FormatRgba ? 4 : 3), null) != 0)
                {
                    return size;
                }
            }

            // On failure libpng grows `size` only when the buffer alone was the problem.
            return size > capacity
                ? size
                : throw new ImageCodecException($"Cannot encode the {width}x{height} PNG", PngNative.MessageOf(&png));
        }
        finally
        {
            PngNative.Free(&png);
        }
    }

    private static void EnsureDecodableSize(int width, int height, string format)
    {
        if (!RgbImage.TryGetByteCount(width, height, out _))
        {
            throw new ImageCodecException($"The {format} declares an unsupported size {width}x{height}.");
        }
    }

    private static ImageCodecException JpegError(string message, TurboJpegHandle handle)
    {
        var text = TurboJpegNative.ErrorText(handle);
        return TurboJpegNative.GetErrorCode(handle) == TurboJpegNative.ErrorWarning
            ? new ImageCodecException($"{message} (the data is corrupt or truncated)", text)
            : new ImageCodecException(message, text);
    }
}
