using System.Collections.Concurrent;
using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Rendering;

/// <summary>Image codecs for parallel frame work: each codec owns native handles and serves one thread at a time.</summary>
public sealed class CodecPool(int jpegQuality = 95) : IDisposable
{
    private readonly ConcurrentBag<ImageCodec> idle = [];

    /// <summary>Decodes a stored frame.</summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded)
    {
        var codec = Rent();
        try
        {
            return codec.Decode(encoded);
        }
        finally
        {
            idle.Add(codec);
        }
    }

    /// <summary>Decodes an image, keeping a PNG's alpha plane apart (null when it has none).</summary>
    public RgbImage Decode(ReadOnlySpan<byte> encoded, out byte[]? alpha)
    {
        var codec = Rent();
        try
        {
            return codec.Decode(encoded, out alpha);
        }
        finally
        {
            idle.Add(codec);
        }
    }

    /// <summary>Encodes an RGB frame; JPEG at <paramref name="jpegQuality"/> when given, else the pool's quality.</summary>
    public byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height, ImageFormat format, int? jpegQuality = null)
    {
        var codec = Rent();
        try
        {
            return codec.Encode(rgb, width, height, format, jpegQuality);
        }
        finally
        {
            idle.Add(codec);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        while (idle.TryTake(out var codec))
        {
            codec.Dispose();
        }
    }

    private ImageCodec Rent() => idle.TryTake(out var codec) ? codec : new ImageCodec(jpegQuality);
}
