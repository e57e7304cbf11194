using Rotoscope.Core.Imaging;

namespace Rotoscope.Core.Tests.Imaging;

[Trait("Category", "Unit")]
public class RgbImageTests
{
    [Fact]
    public void Create_ReturnsBlackPixelsOfExactLength_WhenSizeIsValid()
    {
        using var image = RgbImage.Create(37, 23);

        Assert.Equal(37, image.Width);
        Assert.Equal(23, image.Height);
        Assert.Equal(37 * 23 * 3, image.Pixels.Length);
        Assert.True(image.Pixels.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Dispose_IsSafe_WhenCalledTwice()
    {
        var image = RgbImage.Create(4, 4);
        image.Dispose();
        image.Dispose();
    }

    [Fact]
    public void Pixels_ThrowsObjectDisposed_WhenImageIsDisposed()
    {
        var image = RgbImage.Create(4, 4);
        image.Dispose();

        Assert.Throws<ObjectDisposedException>(() => image.Pixels.Length);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(10, -1)]
    [InlineData(int.MaxValue, 2)]
    public void Create_Throws_WhenSizeIsInvalid(int width, int height)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RgbImage.Create(width, height));
    }
}
