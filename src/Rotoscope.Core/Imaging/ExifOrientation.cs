using System.Buffers.Binary;

namespace Rotoscope.Core.Imaging;

/// <summary>
/// The EXIF orientation of a JPEG (how a camera held sideways says "turn me"), and turning pixels upright by it. Our
/// encoder writes no EXIF, so a styled photo must come out already upright or a viewer would show it on its side.
/// </summary>
public static class ExifOrientation
{
    private const ushort OrientationTag = 0x0112;

    /// <summary>The orientation tag (1..8) of a JPEG's EXIF block; 1 (upright) when there is none or it is unreadable.</summary>
    public static int Read(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return 1;
        }

        // Walk the marker segments up to the image data; EXIF is an APP1 segment that starts "Exif\0\0".
        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (marker == 0xDA || length < 2 || at + 2 + length > jpeg.Length)
            {
                break;
            }

            var segment = jpeg.Slice(at + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8))
            {
                return FromTiff(segment[6..]);
            }

            at += 2 + length;
        }

        return 1;
    }

    /// <summary>
    /// <paramref name="image"/> turned upright for <paramref name="orientation"/>: a new image (its sides swapped for
    /// 5..8), or <paramref name="image"/> itself when it is upright already.
    /// </summary>
    public static RgbImage Upright(RgbImage image, int orientation)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (orientation is < 2 or > 8)
        {
            return image;
        }

        var (w, h) = (image.Width, image.Height);
        var turned = orientation >= 5;
        var result = RgbImage.CreateUninitialized(turned ? h : w, turned ? w : h);
        var source = image.Pixels;
        var target = result.Pixels;
        for (var y = 0; y < result.Height; y++)
        {
            for (var x = 0; x < result.Width; x++)
            {
                // Where this upright pixel is in the stored image (EXIF 2: mirrored, 3: 180, 4: flipped,
                // 5: transposed, 6: stored turned 90 anticlockwise, 7: transversed, 8: stored turned 90 clockwise).
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                source.Slice(((sy * w) + sx) * 3, 3).CopyTo(target.Slice(((y * result.Width) + x) * 3, 3));
            }
        }

        return result;
    }

    // A TIFF header ("II" little-endian or "MM" big-endian, 42, offset of IFD0), then IFD0's 12-byte entries.
    private static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 1;
        }

        var little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        if (!little && !(tiff[0] == (byte)'M' && tiff[1] == (byte)'M'))
        {
            return 1;
        }

        var ifd = U32(tiff, 4, little);
        if (U16(tiff, 2, little) != 42 || ifd > (uint)(tiff.Length - 2))
        {
            return 1;
        }

        var entries = U16(tiff, (int)ifd, little);
        for (var i = 0; i < entries; i++)
        {
            var entry = (int)ifd + 2 + (12 * i);
            if (entry + 12 > tiff.Length)
            {
                break;
            }

            if (U16(tiff, entry, little) == OrientationTag)
            {
                var value = U16(tiff, entry + 8, little);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }

        return 1;
    }

    private static ushort U16(ReadOnlySpan<byte> tiff, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[offset..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[offset..]);

    private static uint U32(ReadOnlySpan<byte> tiff, int offset, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[offset..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[offset..]);
}
