using Rotoscope.Core.Media;
using Rotoscope.Core.Review;
using Rotoscope.Core.Storage;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Rational = Rotoscope.Core.Media.Rational;

namespace Rotoscope.Core.Tests.Review;

/// <summary>The review loop's pure parts: the review copy's ffmpeg arguments and size, contact sheet layout and drawing, names, where a folder's place puts a review.</summary>
[Trait("Category", "Unit")]
public class ReviewPartsTests
{
    [Fact]
    public void ReviewCopy_ReturnsExactArguments_WithAudioAndOffsets()
    {
        var spec = new ReviewCopySpec("/tmp/f/%06d.jpg", Rational.Parse("30000/1001"), 854, 480, "/tmp/a.mka", "/tmp/copy.mp4", TimeSpan.FromSeconds(0.05), TimeSpan.Zero);

        Assert.Equal(
            [
                "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-itsoffset", "0.05",
                "-f", "image2", "-framerate", "30000/1001", "-start_number", "1", "-i", "/tmp/f/%06d.jpg",
                "-i", "/tmp/a.mka",
                "-map", "0:v", "-map", "1:a:0?",
                "-vf", "scale=854:480:flags=bicubic:out_color_matrix=bt709,setsar=1,format=yuv420p",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                "-fps_mode", "passthrough", "-r", "30000/1001",
                "-c:a", "aac", "-b:a", "128k", "-ac", "2",
                "-movflags", "+faststart", "-f", "mp4", "/tmp/copy.mp4",
            ],
            FfmpegArguments.ReviewCopy(spec));
    }

    [Fact]
    public void ReviewCopy_MapsNoAudio_WhenThereIsNone()
    {
        var args = FfmpegArguments.ReviewCopy(new ReviewCopySpec("/tmp/f/%06d.png", new Rational(25, 1), 160, 96, null, "/tmp/copy.mp4"));

        Assert.DoesNotContain("-c:a", args);
        Assert.DoesNotContain("1:a:0?", args);
        Assert.DoesNotContain("-itsoffset", args);
    }

    [Theory]
    [InlineData(640, 544, 564, 480)]
    [InlineData(1920, 1080, 854, 480)]
    [InlineData(1080, 1920, 270, 480)]
    [InlineData(160, 96, 160, 96)]
    [InlineData(161, 97, 160, 96)]
    public void SizeFor_GivesEvenSizeAtMost480High_KeepingTheAspect(int width, int height, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), ReviewCopySpec.SizeFor(width, height));
    }

    [Fact]
    public void FrameNumbers_AreTheMiddlesOfEqualStretches()
    {
        Assert.Equal([1, 3, 4, 6, 7, 9, 10, 12], ContactSheetLayout.FrameNumbers(12, 8));
        Assert.Equal([1, 2, 3], ContactSheetLayout.FrameNumbers(3, 3));
        Assert.Equal([13, 38, 63, 88], ContactSheetLayout.FrameNumbers(100, 4));
    }

    [Theory]
    [InlineData(1, "30", "0:00:00.00")]
    [InlineData(31, "30000/1001", "0:00:01.00")]
    [InlineData(3001, "25", "0:02:00.00")]
    [InlineData(90001, "25", "1:00:00.00")]
    public void Timecode_IsHoursMinutesSecondsHundredths(long frame, string fps, string expected)
    {
        Assert.Equal(expected, ContactSheetLayout.Timecode(frame, Rational.Parse(fps)));
    }

    [Fact]
    public void Layout_HasOneRowPerTwoPairs_AndOnePairForAOneFrameVideo()
    {
        var single = ContactSheetLayout.For(100, 50, 1);
        var odd = ContactSheetLayout.For(1920, 1080, 5);

        Assert.Equal((1, 12 + 644 + 12, 160), (single.Pairs, single.Width, single.ThumbnailHeight));
        Assert.Equal((3, 180), (odd.Rows, odd.ThumbnailHeight));
        Assert.Equal(12 + 30 + (3 * (180 + 22)) + (2 * 12) + 12, odd.Height);
    }

    [Fact]
    public void Render_DrawsPairsAndTitle_AtTheLayoutsSize()
    {
        static byte[] Frame(Rgb24 colour)
        {
            using var image = new Image<Rgb24>(64, 36, colour);
            using var encoded = new MemoryStream();
            image.SaveAsPng(encoded);
            return encoded.ToArray();
        }

        var layout = ContactSheetLayout.For(64, 36, 3);
        var pairs = ContactSheetLayout.FrameNumbers(3, layout.Pairs)
            .Select(n => new ContactSheet.Pair(Frame(new Rgb24(255, 0, 0)), Frame(new Rgb24(0, 0, 255)), ContactSheetLayout.Timecode(n, new Rational(1, 1)), n))
            .ToList();

        using var sheet = Image.Load<Rgb24>(ContactSheet.Render(layout, "TITLE", pairs));

        Assert.Equal((layout.Width, layout.Height), (sheet.Width, sheet.Height));
        var (x, y) = layout.PairOrigin(2);
        var before = sheet[x + 100, y + 50];
        var after = sheet[x + ContactSheetLayout.ThumbnailWidth + ContactSheetLayout.Gap + 100, y + 50];
        Assert.True(before.R > 200 && before.B < 60, $"before: {before}");
        Assert.True(after.B > 200 && after.R < 60, $"after: {after}");
        // The title's first glyph, T, has a full top bar.
        var bar = sheet[ContactSheetLayout.Margin + 4, ContactSheetLayout.Margin];
        Assert.True(bar.R > 150, $"title: {bar}");
    }

    [Theory]
    [InlineData("my: clip?", "my_ clip_")]
    [InlineData(" .hidden. ", "hidden")]
    [InlineData("...", "video")]
    [InlineData("a/b\\c|d", "a_b_c_d")]
    public void Clean_ReplacesCharactersDropboxRefuses(string name, string expected)
    {
        Assert.Equal(expected, ReviewNames.Clean(name, "video"));
    }

    [Theory]
    [InlineData("/rotoscope/reviews/clip - toon - 2026-12-02", ReviewState.Pending)]
    [InlineData("/rotoscope/reviews/someone/clip", ReviewState.Pending)]
    [InlineData("/rotoscope/reviews/approved/clip", ReviewState.Approved)]
    [InlineData("/rotoscope/reviews/approved/2026/clip", ReviewState.Approved)]
    [InlineData("/rotoscope/reviews/rejected/clip", ReviewState.Rejected)]
    [InlineData("/rotoscope/reviews/approved", ReviewState.Pending)]
    [InlineData("/rotoscope/elsewhere/clip", ReviewState.Missing)]
    [InlineData("/rotoscope/reviewsx/clip", ReviewState.Missing)]
    public void StateAt_ReadsTheDecisionFromTheFoldersPlace(string path, ReviewState expected)
    {
        var config = ConnectorConfig.Empty.With(new DropboxConnectorSettings("review", "/Rotoscope", Writable: true, "key", null, new SecretSource("token")));
        using var connectors = new Connectors(config, new Dictionary<string, string?>(), new LocalBlobStore(Path.GetTempPath()));

        var root = ReviewRoot.Resolve(connectors, "dropbox+review://Reviews", forWrite: false);

        Assert.Equal(("/Rotoscope/Reviews", "dropbox+review://Reviews/"), (root.Path, root.Uri));
        Assert.Equal(expected, root.StateAt(path));
    }

    [Fact]
    public void Resolve_RefusesARootThatIsNotInDropbox()
    {
        using var connectors = new Connectors(ConnectorConfig.Empty, new Dictionary<string, string?>(), new LocalBlobStore(Path.GetTempPath()));

        var error = Assert.Throws<RotoscopeException>(() => ReviewRoot.Resolve(connectors, "data://reviews/", forWrite: true));

        Assert.Equal("a review root is a Dropbox folder (dropbox+label://Reviews/), not 'data://reviews/'", error.Message);
    }
}
