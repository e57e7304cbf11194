using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Unit")]
public class ColorimetryTests
{
    [Theory]
    [InlineData(1920, 1080, "bt709")]
    [InlineData(1280, 720, "bt709")]
    [InlineData(1080, 1920, "bt709")]
    [InlineData(720, 576, "smpte170m")]
    [InlineData(640, 360, "smpte170m")]
    public void Of_UsesTheStandardForTheSize_WhenUntagged(int width, int height, string matrix)
    {
        var colors = Colorimetry.Of(width, height, VideoColorTags.None);

        Assert.Equal((matrix, "tv", matrix, matrix), (colors.Matrix, colors.Range, colors.Primaries, colors.Transfer));
    }

    [Fact]
    public void Of_KeepsTheSourceTags_WhenTagged()
    {
        var colors = Colorimetry.Of(640, 480, new VideoColorTags("bt709", "pc", "bt709", "bt709"));

        Assert.Equal(new Colorimetry("bt709", "pc", "bt709", "bt709"), colors);
        Assert.Equal("bt709", colors.ScaleMatrix);
    }

    [Fact]
    public void Of_ReadsFullRangeFromPixelFormat_WhenRangeIsUntagged() =>
        Assert.Equal("pc", Colorimetry.Of(640, 480, new VideoColorTags(PixelFormat: "yuvj420p")).Range);

    [Theory]
    [InlineData("bt470bg", "bt470", "bt470bg")]
    [InlineData("bt2020nc", "bt2020", "bt2020")]
    public void Of_MapsMatrixForScaleAndDerivesPrimaries_WhenOnlyMatrixTagged(string space, string scale, string primaries)
    {
        var colors = Colorimetry.Of(1920, 1080, new VideoColorTags(space));

        Assert.Equal((scale, primaries), (colors.ScaleMatrix, colors.Primaries));
    }

    [Theory]
    [InlineData("gbr")]
    [InlineData("unknown")]
    [InlineData("ycgco")]
    public void Of_FallsBackToTheStandard_WhenMatrixIsNotAYuvMatrixWeConvert(string space) =>
        Assert.Equal("bt709", Colorimetry.Of(1920, 1080, new VideoColorTags(space)).Matrix);

    [Fact]
    public void Of_IgnoresTagsThatAreNotPlainNames() =>
        Assert.Equal("bt709", Colorimetry.Of(1920, 1080, new VideoColorTags(Primaries: "bt709,evil")).Primaries);
}
