using System.Buffers;

namespace Rotoscope.Core.Imaging;

/// <summary>An 8-bit interleaved RGB image (row-major, 3 bytes per pixel) whose pixels live in a pooled buffer.</summary>
public sealed class RgbImage : IDisposable
{
    private byte[]? _buffer;

    private RgbImage(int width, int height, byte[] buffer)
    {
        Width = width;
        Height = height;
        _buffer = buffer;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Exactly <c>Width * Height * 3</c> bytes; valid until the image is disposed.</summary>
    public Span<byte> Pixels
    {
        get
        {
            var buffer = _buffer;
            ObjectDisposedException.ThrowIf(buffer is null, this);
            return buffer.AsSpan(0, ByteCount(Width, Height));
        }
    }

    /// <summary><see cref="Pixels"/> as memory, for asynchronous writes (e.g. to ffmpeg's stdin).</summary>
    public Memory<byte> Memory
    {
        get
        {
            var buffer = _buffer;
            ObjectDisposedException.ThrowIf(buffer is null, this);
            return buffer.AsMemory(0, ByteCount(Width, Height));
        }
    }

    /// <summary>Creates a black image of the given size.</summary>
    public static RgbImage Create(int width, int height)
    {
        var image = CreateUninitialized(width, height);
        image.Pixels.Clear();
        return image;
    }

    // For decoders that overwrite every byte: skips clearing the rented buffer.
    internal static RgbImage CreateUninitialized(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (!TryGetByteCount(width, height, out var length))
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"An RGB image of {width}x{height} does not fit in one buffer.");
        }

        return new RgbImage(width, height, ArrayPool<byte>.Shared.Rent(length));
    }

    internal static bool TryGetByteCount(int width, int height, out int byteCount)
    {
        var length = (long)width * height * 3;
        byteCount = length <= Array.MaxLength ? (int)length : 0;
        return width > 0 && height > 0 && length <= Array.MaxLength;
    }

    public void Dispose()
    {
        // Exchange makes a second Dispose a no-op, so the buffer is never returned to the pool twice.
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ByteCount(int width, int height) => width * height * 3;
}
