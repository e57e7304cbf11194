using System.Buffers.Binary;
using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

[Trait("Category", "Unit")]
public sealed class ExifOrientationTests
{
    // Corner colours of a 3x2 image, stored as the camera wrote it.
    private static readonly byte[] TopLeft = [255, 0, 0];
    private static readonly byte[] TopRight = [0, 255, 0];
    private static readonly byte[] BottomLeft = [0, 0, 255];
    private static readonly byte[] BottomRight = [255, 255, 0];

    [Theory]
    [InlineData(6, false)]
    [InlineData(3, true)]
    [InlineData(8, true)]
    public void Read_FindsTheOrientationTag_InEitherByteOrder(int orientation, bool bigEndian) =>
        Assert.Equal(orientation, ExifOrientation.Read(JpegWithExif(orientation, bigEndian)));

    [Fact]
    public void Read_SaysUpright_WhenThereIsNoExifOrItIsBroken()
    {
        var plain = Jpeg();
        var broken = JpegWithExif(6, bigEndian: false);
        broken[12] = (byte)'X'; // the TIFF header's byte-order mark

        Assert.Equal(1, ExifOrientation.Read(plain));
        Assert.Equal(1, ExifOrientation.Read(broken));
        Assert.Equal(1, ExifOrientation.Read([0xFF, 0xD8]));
        Assert.Equal(1, ExifOrientation.Read("not a jpeg"u8));
    }

    // Where each stored corner must end up once upright, by the EXIF definitions (6: the camera was turned clockwise,
    // so the picture turns 90 clockwise to be seen right; 8 the other way; 5 and 7 are their mirror images).
    [Theory]
    [InlineData(1, "TL", "TR", "BL", "BR")]
    [InlineData(2, "TR", "TL", "BR", "BL")]
    [InlineData(3, "BR", "BL", "TR", "TL")]
    [InlineData(4, "BL", "BR", "TL", "TR")]
    [InlineData(5, "TL", "BL", "TR", "BR")]
    [InlineData(6, "BL", "TL", "BR", "TR")]
    [InlineData(7, "BR", "TR", "BL", "TL")]
    [InlineData(8, "TR", "BR", "TL", "BL")]
    public void Upright_PutsEachCornerWhereTheOrientationSays(int orientation, string topLeft, string topRight, string bottomLeft, string bottomRight)
    {
        using var stored = Corners();

        var upright = ExifOrientation.Upright(stored, orientation);

        try
        {
            Assert.Equal(orientation >= 5 ? (2, 3) : (3, 2), (upright.Width, upright.Height));
            Assert.Equal(Colour(topLeft), Pixel(upright, 0, 0));
            Assert.Equal(Colour(topRight), Pixel(upright, upright.Width - 1, 0));
            Assert.Equal(Colour(bottomLeft), Pixel(upright, 0, upright.Height - 1));
            Assert.Equal(Colour(bottomRight), Pixel(upright, upright.Width - 1, upright.Height - 1));
        }
        finally
        {
            if (upright != stored)
            {
                upright.Dispose();
            }
        }
    }

    private static byte[] Colour(string corner) => corner switch
    {
        "TL" => TopLeft,
        "TR" => TopRight,
        "BL" => BottomLeft,
        _ => BottomRight,
    };

    private static byte[] Pixel(RgbImage image, int x, int y) => image.Pixels.Slice(((y * image.Width) + x) * 3, 3).ToArray();

    private static RgbImage Corners()
    {
        var image = RgbImage.Create(3, 2);
        TopLeft.CopyTo(image.Pixels[0..]);
        TopRight.CopyTo(image.Pixels[6..]);
        BottomLeft.CopyTo(image.Pixels[9..]);
        BottomRight.CopyTo(image.Pixels[15..]);
        return image;
    }

    private static byte[] Jpeg()
    {
        using var codec = new ImageCodec();
        return codec.Encode(TestImages.Gradient(16, 8), 16, 8, ImageFormat.Jpeg);
    }

    // A JPEG with an APP1 "Exif" segment right after SOI: a TIFF header and IFD0 holding one entry, the orientation.
    internal static byte[] JpegWithExif(int orientation, bool bigEndian)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        void U16(int at, int value)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)value);
            }
        }

        tiff[0] = tiff[1] = bigEndian ? (byte)'M' : (byte)'I';
        U16(2, 42);
        U16(bigEndian ? 6 : 4, 8);    // IFD0 at offset 8 (a 32-bit value; its high half is 0)
        U16(8, 1);                    // one entry
        U16(10, 0x0112);              // orientation
        U16(12, 3);                   // SHORT
        U16(bigEndian ? 16 : 14, 1);  // count 1
        U16(18, orientation);         // the value, left-justified in the 4-byte field
        byte[] segment = [0xFF, 0xE1, 0, 0, .. "Exif\0\0"u8, .. tiff];
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(segment.Length - 2));
        var jpeg = Jpeg();
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }
}
