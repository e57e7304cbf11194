using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

[Trait("Category", "Integration")]
public sealed class ImageCodecTests : IDisposable
{
    private readonly ImageCodec _codec = new();

    public void Dispose() => _codec.Dispose();

    [Fact]
    public void Encode_PngRoundTripIsByteExact_WhenImageHasOddSize()
    {
        const int width = 37, height = 23;
        var rgb = TestImages.Gradient(width, height);

        var png = _codec.Encode(rgb, width, height, ImageFormat.Png);
        using var decoded = _codec.Decode(png);

        Assert.Equal(ImageFormat.Png, ImageCodec.Detect(png));
        Assert.Equal(width, decoded.Width);
        Assert.Equal(height, decoded.Height);
        Assert.Equal(rgb, decoded.Pixels.ToArray());
    }

    [Fact]
    public void EncodePngWithAlpha_RoundTripsColoursAndAlpha_AndAnOpaquePngHasNone()
    {
        const int width = 37, height = 23;
        var rgb = TestImages.Gradient(width, height);
        var alpha = Enumerable.Range(0, width * height).Select(i => (byte)(i * 7)).ToArray();

        var png = ImageCodec.EncodePng(rgb, alpha, width, height);
        using var decoded = _codec.Decode(png, out var decodedAlpha);
        using var opaque = _codec.Decode(_codec.Encode(rgb, width, height, ImageFormat.Png), out var none);
        using var blended = _codec.Decode(png);

        Assert.Equal(rgb, decoded.Pixels.ToArray());
        Assert.Equal(alpha, decodedAlpha);
        Assert.Null(none);
        Assert.Equal(0, blended.Pixels[0]); // the plain decode still composites on black (alpha 0 there)
    }

    [Fact]
    public void Encode_PngRoundTripIsByteExact_WhenImageIsNoise()
    {
        // Incompressible data exercises the output buffer estimate.
        const int width = 101, height = 67;
        var rgb = new byte[width * height * 3];
        new Random(42).NextBytes(rgb);

        var png = _codec.Encode(rgb, width, height, ImageFormat.Png);
        using var decoded = _codec.Decode(png);

        Assert.Equal(rgb, decoded.Pixels.ToArray());
    }

    [Fact]
    public void EncodePng_RetriesWithReportedSize_WhenFirstBufferIsTooSmall()
    {
        const int width = 37, height = 23;
        var rgb = TestImages.Gradient(width, height);

        var png = ImageCodec.EncodePng(rgb, width, height, initialCapacity: 64);
        using var decoded = _codec.Decode(png);

        Assert.Equal(_codec.Encode(rgb, width, height, ImageFormat.Png), png);
        Assert.Equal(rgb, decoded.Pixels.ToArray());
    }

    [Fact]
    public void Encode_JpegQuality95RoundTripStaysClose_WhenImageIsSmooth()
    {
        const int width = 161, height = 97;
        var rgb = TestImages.Smooth(width, height);

        var jpeg = _codec.Encode(rgb, width, height, ImageFormat.Jpeg);
        using var decoded = _codec.Decode(jpeg);

        Assert.Equal(ImageFormat.Jpeg, ImageCodec.Detect(jpeg));
        Assert.Equal((width, height), (decoded.Width, decoded.Height));
        var (meanAbsError, maxError) = TestImages.Compare(rgb, decoded.Pixels);
        Assert.True(meanAbsError < 1.5, $"mean abs error {meanAbsError:F3}");
        Assert.True(maxError <= 12, $"max error {maxError}");
    }

    [Fact]
    public void Encode_JpegQuality95IsLargerThanQuality50_WhenImageIsTheSame()
    {
        const int width = 64, height = 48;
        var rgb = TestImages.Gradient(width, height);
        using var low = new ImageCodec(jpegQuality: 50);

        var high = _codec.Encode(rgb, width, height, ImageFormat.Jpeg);
        var lowBytes = low.Encode(rgb, width, height, ImageFormat.Jpeg);

        Assert.True(high.Length > lowBytes.Length, $"q95 {high.Length} bytes vs q50 {lowBytes.Length} bytes");
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    public void Decode_ThrowsCodecException_WhenDataIsTruncated(ImageFormat format)
    {
        var rgb = TestImages.Smooth(64, 48);
        var encoded = _codec.Encode(rgb, 64, 48, format);

        var error = Assert.Throws<ImageCodecException>(() => _codec.Decode(encoded.AsSpan(0, encoded.Length / 2)));

        Assert.False(string.IsNullOrWhiteSpace(error.NativeError));
        Assert.Contains(error.NativeError!, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.Png)]
    public void Decode_ThrowsCodecException_WhenOnlySignatureIsValid(ImageFormat format)
    {
        var garbage = new byte[200];
        new Random(7).NextBytes(garbage);
        byte[] signature = format == ImageFormat.Jpeg ? [0xFF, 0xD8, 0xFF] : [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        signature.CopyTo(garbage, 0);

        var error = Assert.Throws<ImageCodecException>(() => _codec.Decode(garbage));

        Assert.NotNull(error.NativeError);
    }

    [Fact]
    public void Decode_ThrowsCodecException_WhenInputIsEmpty()
    {
        var error = Assert.Throws<ImageCodecException>(() => _codec.Decode([]));

        Assert.Contains("empty", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_ThrowsCodecException_WhenFormatIsUnknown()
    {
        var error = Assert.Throws<ImageCodecException>(() => _codec.Decode("GIF89a..."u8));

        Assert.Contains("neither JPEG nor PNG", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_KeepsWorking_WhenPreviousDecodeFailed()
    {
        var rgb = TestImages.Gradient(37, 23);
        var jpeg = _codec.Encode(rgb, 37, 23, ImageFormat.Jpeg);
        Assert.Throws<ImageCodecException>(() => _codec.Decode(jpeg.AsSpan(0, 40)));

        using var decoded = _codec.Decode(jpeg);

        Assert.True(TestImages.Compare(rgb, decoded.Pixels).MeanAbsError < 3);
    }

    [Fact]
    public void Encode_Throws_WhenBufferLengthDoesNotMatchSize()
    {
        Assert.Throws<ArgumentException>(() => _codec.Encode(new byte[10], 2, 2, ImageFormat.Png));
        Assert.Throws<ArgumentOutOfRangeException>(() => _codec.Encode(new byte[12], 0, 2, ImageFormat.Jpeg));
    }

    [Fact]
    public void Constructor_Throws_WhenQualityIsOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageCodec(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageCodec(101));
    }

    [Fact]
    public void Decode_ThrowsObjectDisposed_WhenCodecIsDisposed()
    {
        var codec = new ImageCodec();
        codec.Dispose();
        codec.Dispose();

        Assert.Throws<ObjectDisposedException>(() => codec.Decode([0xFF, 0xD8, 0xFF]));
        Assert.Throws<ObjectDisposedException>(() => codec.Encode(new byte[3], 1, 1, ImageFormat.Jpeg));
    }
}

[Trait("Category", "Unit")]
public class ImageCodecDetectTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00 }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF }, ImageFormat.Jpeg)]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00 }, ImageFormat.Png)]
    public void Detect_ReturnsFormat_WhenSignatureMatches(byte[] data, ImageFormat expected)
    {
        Assert.Equal(expected, ImageCodec.Detect(data));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF, 0xD8 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A })]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 })]
    [InlineData(new byte[] { 0x42, 0x4D, 0x00, 0x00 })]
    public void Detect_ReturnsNull_WhenSignatureIsUnknownOrIncomplete(byte[] data)
    {
        Assert.Null(ImageCodec.Detect(data));
    }
}
