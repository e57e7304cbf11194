using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Storage;

[Trait("Category", "Unit")]
public class MediaLocationTests
{
    [Fact]
    public void Parse_GivesLocalFile_WhenPlainPathOrFileUri()
    {
        Assert.Equal("/tmp/a.mp4", Assert.IsType<MediaLocation.LocalFile>(MediaLocation.Parse("/tmp/a.mp4")).Path);
        Assert.Equal("/tmp/a b.mp4", Assert.IsType<MediaLocation.LocalFile>(MediaLocation.Parse("file:///tmp/a%20b.mp4")).Path);
    }

    [Fact]
    public void Parse_GivesStoreObject_WhenDataUri() =>
        Assert.Equal("videos/a.mp4", Assert.IsType<MediaLocation.StoreObject>(MediaLocation.Parse("data://videos/a.mp4")).Key.Value);

    [Theory]
    [InlineData("data://../etc/passwd", "not a valid data:// URI")]
    [InlineData("dropbox+://a.mp4", "not a valid Dropbox URI")]
    [InlineData("ftp://host/a.mp4", "unknown URI scheme 'ftp'")]
    public void Parse_ThrowsClearError_WhenUriIsUnusable(string text, string expected)
    {
        var error = Assert.Throws<RotoscopeException>(() => MediaLocation.Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
