using Rotoscope.Core.Stills;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Tests.Stills;

[Trait("Category", "Unit")]
public class StillSelectionTests
{
    [Theory]
    [InlineData("photos/", "photos/", null)]
    [InlineData("photos", "photos", null)]
    [InlineData("photos/*.jpg", "photos", "*.jpg")]
    [InlineData("/abs/photos/**/*.png", "/abs/photos", "**/*.png")]
    [InlineData("*.jpg", ".", "*.jpg")]
    [InlineData("/*.jpg", "/", "*.jpg")]
    [InlineData("data://stills/**/*.png", "data://stills/", "**/*.png")]
    [InlineData("data://stills", "data://stills/", null)]
    [InlineData("s3+footage://stills/", "s3+footage://stills/", null)]
    [InlineData("s3+footage://*.jpg", "s3+footage://", "*.jpg")]
    [InlineData("s3://bucket/raw/2026-*/", "s3://bucket/raw/", "2026-*/**")]
    [InlineData("dropbox://Photos/", "dropbox://Photos/", null)]
    public void Parse_SplitsRootAndPattern_AtTheFirstGlobSegment(string input, string root, string? pattern)
    {
        var selection = StillSelection.Parse(input);

        Assert.Equal((root, pattern), (selection.Root, selection.Pattern));
    }

    [Theory]
    [InlineData("*.jpg", "a.jpg", true)]
    [InlineData("*.jpg", "sub/a.jpg", false)]
    [InlineData("*.jpg", "a.jpeg", false)]
    [InlineData("**/*.png", "a.png", true)]
    [InlineData("**/*.png", "x/y/a.png", true)]
    [InlineData("**/*.png", "x/y/a.jpg", false)]
    [InlineData("sub/**", "sub/x/a.jpg", true)]
    [InlineData("sub/**", "other/a.jpg", false)]
    [InlineData("img-??.jpg", "img-07.jpg", true)]
    [InlineData("img-??.jpg", "img-7.jpg", false)]
    [InlineData("[ab]*.jpg", "b1.jpg", true)]
    [InlineData("[!ab]*.jpg", "b1.jpg", false)]
    [InlineData("[0-9].jpg", "5.jpg", true)]
    [InlineData("a+b (1).jpg", "a+b (1).jpg", true)]
    [InlineData("[*].jpg", "*.jpg", true)]
    [InlineData("[*].jpg", "x.jpg", false)]
    [InlineData("*.jpg", "IMG_0001.JPG", true)]
    [InlineData("img-[a-c].png", "IMG-B.PNG", true)]
    [InlineData("*.jpg", "IMG_0001.JPEG", false)]
    public void Matches_FollowsGlobRules_WithinAndAcrossSegments_InEitherCase(string pattern, string name, bool matches)
    {
        Assert.Equal(matches, new StillSelection("root", pattern).Matches(name));
    }

    [Fact]
    public void Matches_TakesEverything_WithoutAPattern()
    {
        Assert.True(new StillSelection("root", null).Matches("deep/in/it.png"));
    }

    [Theory]
    [InlineData("a.jpg", true)]
    [InlineData("A.JPEG", true)]
    [InlineData("b.Png", true)]
    [InlineData("c.gif", false)]
    [InlineData("d.heic", false)]
    [InlineData("jpg", false)]
    public void IsImageName_AcceptsJpegAndPngExtensions(string name, bool image)
    {
        Assert.Equal(image, StillSelection.IsImageName(name));
    }

    [Fact]
    public void KeyOfAndNameOf_MapNamesBelowAFolderBothWays()
    {
        var folder = BlobKey.Parse("stills/in");

        var key = StillStores.KeyOf(folder, "sub/a.jpg");

        Assert.Equal("stills/in/sub/a.jpg", key.Value);
        Assert.Equal("sub/a.jpg", StillStores.NameOf(folder, key));
        Assert.Equal("a.jpg", StillStores.NameOf(null, StillStores.KeyOf(null, "a.jpg")).ToString());
    }

    [Theory]
    [InlineData("out", "sub/a.jpg", "out/sub/a.jpg")]
    [InlineData("s3+out://styled/", "sub/a.jpg", "s3+out://styled/sub/a.jpg")]
    [InlineData("s3+out://", "a.jpg", "s3+out://a.jpg")]
    [InlineData("data://styled", "a.png", "data://styled/a.png")]
    public void Display_JoinsARootAndAName_AsTheUserWouldWriteThem(string root, string name, string shown)
    {
        Assert.Equal(shown, StillStores.Display(root, name));
    }

    [Theory]
    [InlineData("dropbox://Photos/Out", "dropbox://photos/out/")]
    [InlineData("s3+out://styled", "s3+out://styled/")]
    [InlineData("/tmp/out/", "/tmp/out/")]
    [InlineData("/tmp/out", "/tmp/out/")]
    public void IdentityOf_IsTheSameForEverySpellingOfAFolder(string root, string identity)
    {
        Assert.Equal(identity, StillStores.IdentityOf(root));
    }

    [Fact]
    public void Batches_CutImagesInOrder_NamedAfterTheirRun()
    {
        var images = Enumerable.Range(0, 5).Select(i => new StillImage($"{i}.jpg", "v")).ToList();

        var batches = StillPlanner.Batches(images, 2, "run1");

        Assert.Equal(["run1-000000", "run1-000001", "run1-000002"], batches.Select(b => b.BatchId));
        Assert.Equal(["0.jpg", "1.jpg", "2.jpg", "3.jpg", "4.jpg"], batches.SelectMany(b => b.Images).Select(i => i.Name));
        Assert.Single(batches[^1].Images);
    }
}
