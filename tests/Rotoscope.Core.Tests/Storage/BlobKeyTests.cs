using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Storage;

[Trait("Category", "Unit")]
public class BlobKeyTests
{
    [Theory]
    [InlineData("frames/abc/000001.jpg")]
    [InlineData("a")]
    [InlineData("renders/x-y_z/plan.json")]
    [InlineData("videos/vidéo über 2.mp4")]
    [InlineData("raw/50%.mp4")]
    public void Parse_Accepts_WhenKeyIsSafe(string text) => Assert.Equal(text, BlobKey.Parse(text).Value);

    [Theory]
    [InlineData("")]
    [InlineData("../etc/passwd")]
    [InlineData("frames/../../x")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a\\b")]
    [InlineData("a/b\nc")]
    [InlineData("a/%2e%2e/b")]
    [InlineData("a/%2E/b")]
    [InlineData("a%2fb/../c")]
    [InlineData("trailing/")]
    public void Parse_Throws_WhenKeyCouldEscapeOrIsMalformed(string text) =>
        Assert.Throws<ArgumentException>(() => BlobKey.Parse(text));

    [Fact]
    public void Append_RejectsTraversal_WhenChildHasDotDot() =>
        Assert.Throws<ArgumentException>(() => BlobKey.Parse("frames").Append("../secret"));
}
