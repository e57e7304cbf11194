using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

[Trait("Category", "Unit")]
public class PixelLayoutTests
{
    [Theory]
    [InlineData(361, 4, 364)]
    [InlineData(360, 4, 360)]
    [InlineData(0, 4, 0)]
    [InlineData(1, 8, 8)]
    [InlineData(37, 1, 37)]
    public void PadToMultiple_RoundsUp_WhenValueIsNotAMultiple(int value, int multiple, int expected)
    {
        Assert.Equal(expected, PixelLayout.PadToMultiple(value, multiple));
    }

    [Fact]
    public void PadToMultiple_Throws_WhenMultipleIsNotPositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelLayout.PadToMultiple(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PixelLayout.PadToMultiple(-1, 4));
    }

    [Fact]
    public void RoundTrip_IsExact_WhenOddSizeIsPaddedToMultipleOfFour()
    {
        const int width = 37, height = 23;
        var rgb = TestImages.Gradient(width, height);
        var paddedWidth = PixelLayout.PadToMultiple(width, 4);
        var paddedHeight = PixelLayout.PadToMultiple(height, 4);
        var planar = new float[3 * paddedWidth * paddedHeight];
        var back = new byte[rgb.Length];

        PixelLayout.HwcToPlanar(rgb, width, height, planar, paddedWidth, paddedHeight);
        PixelLayout.PlanarToHwc(planar, paddedWidth, paddedHeight, back, width, height);

        Assert.Equal(rgb, back);
    }

    [Fact]
    public void HwcToPlanar_WritesChannelPlanes_WhenImageIsUnpadded()
    {
        const int width = 5, height = 3;
        var rgb = TestImages.Gradient(width, height);
        var planar = new float[3 * width * height];

        PixelLayout.HwcToPlanar(rgb, width, height, planar, width, height);

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(rgb[(((y * width) + x) * 3) + c], planar[(c * width * height) + (y * width) + x]);
                }
            }
        }
    }

    [Fact]
    public void HwcToPlanar_ReplicatesEdgePixels_WhenPaddingRightAndBottom()
    {
        const int width = 37, height = 23, paddedWidth = 40, paddedHeight = 28;
        var rgb = TestImages.Gradient(width, height);
        var planar = new float[3 * paddedWidth * paddedHeight];
        planar.AsSpan().Fill(float.NaN);

        PixelLayout.HwcToPlanar(rgb, width, height, planar, paddedWidth, paddedHeight);

        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < paddedHeight; y++)
            {
                for (var x = 0; x < paddedWidth; x++)
                {
                    var sourceX = Math.Min(x, width - 1);
                    var sourceY = Math.Min(y, height - 1);
                    var expected = rgb[(((sourceY * width) + sourceX) * 3) + c];
                    Assert.Equal(expected, planar[(c * paddedWidth * paddedHeight) + (y * paddedWidth) + x]);
                }
            }
        }
    }

    [Theory]
    [InlineData(-5f, 0)]
    [InlineData(300f, 255)]
    [InlineData(12.6f, 13)]
    [InlineData(12.4f, 12)]
    [InlineData(12.5f, 13)]
    [InlineData(254.6f, 255)]
    [InlineData(0.4f, 0)]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    public void PlanarToHwc_RoundsAndClamps_WhenValuesAreOutOfRange(float value, byte expected)
    {
        var planar = new float[3 * 4 * 4];
        planar.AsSpan().Fill(value);
        var rgb = new byte[3 * 3 * 3];

        PixelLayout.PlanarToHwc(planar, 4, 4, rgb, 3, 3);

        Assert.All(rgb, b => Assert.Equal(expected, b));
    }

    [Fact]
    public void PlanarToHwc_MatchesScalarRounding_WhenRowsAreWideEnoughForVectors()
    {
        // 1100 columns cover full vectors, a scalar tail and a second column chunk in every row.
        const int width = 1100, height = 3, paddedWidth = 1104, paddedHeight = 4;
        float[] specials = [float.NaN, -0.6f, -0.4f, 0.49f, 0.5f, 127.5f, 254.49f, 254.5f, 255f, 1e9f, float.NegativeInfinity, float.PositiveInfinity];
        var planar = new float[3 * paddedWidth * paddedHeight];
        var random = new Random(3);
        for (var i = 0; i < planar.Length; i++)
        {
            planar[i] = i % 7 == 0 ? specials[random.Next(specials.Length)] : (random.NextSingle() * 300f) - 20f;
        }

        var rgb = new byte[width * height * 3];
        PixelLayout.PlanarToHwc(planar, paddedWidth, paddedHeight, rgb, width, height);

        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var value = planar[(c * paddedWidth * paddedHeight) + (y * paddedWidth) + x];
                    var expected = float.IsNaN(value) ? 0 : (byte)Math.Clamp(Math.Floor(value + 0.5), 0, 255);
                    Assert.Equal(expected, rgb[(((y * width) + x) * 3) + c]);
                }
            }
        }
    }

    [Fact]
    public void PlanarToHwc_CropsPadding_WhenPaddedSlotIsLarger()
    {
        const int width = 3, height = 2, paddedWidth = 4, paddedHeight = 4;
        var planar = new float[3 * paddedWidth * paddedHeight];
        for (var i = 0; i < planar.Length; i++)
        {
            planar[i] = i;
        }

        var rgb = new byte[width * height * 3];
        PixelLayout.PlanarToHwc(planar, paddedWidth, paddedHeight, rgb, width, height);

        // Pixel (x=2, y=1) comes from index y*4+x = 6 of each 16-float plane.
        Assert.Equal(new byte[] { 6, 22, 38 }, rgb.AsSpan(((1 * width) + 2) * 3, 3).ToArray());
    }

    [Fact]
    public void HwcToPlanar_Throws_WhenSlotLengthDoesNotMatch()
    {
        var rgb = new byte[4 * 4 * 3];
        var error = Assert.Throws<ArgumentException>(
            () => PixelLayout.HwcToPlanar(rgb, 4, 4, new float[(3 * 4 * 4) - 1], 4, 4));
        Assert.Equal("planar", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(
            () => PixelLayout.HwcToPlanar(rgb, 4, 4, new float[3 * 4 * 4], 3, 4));
        Assert.Throws<ArgumentException>(
            () => PixelLayout.PlanarToHwc(new float[3 * 4 * 4], 4, 4, new byte[(4 * 4 * 3) + 1], 4, 4));
    }
}
