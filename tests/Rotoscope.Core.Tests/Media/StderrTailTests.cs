using Rotoscope.Core.Media;

namespace Rotoscope.Core.Tests.Media;

[Trait("Category", "Unit")]
public class StderrTailTests
{
    [Fact]
    public void LastMeaningfulLine_StripsContextAndPathPrefixes_WhenFfprobeFails()
    {
        var tail = new StderrTail();
        tail.Add("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x555f443fa1c0] moov atom not found");
        tail.Add("/tmp/x/trunc.mp4: Invalid data found when processing input");

        Assert.Equal("Invalid data found when processing input", tail.LastMeaningfulLine("/tmp/x/trunc.mp4"));
    }

    [Fact]
    public void LastMeaningfulLine_SkipsGenericTrailers_WhenFfmpegFails()
    {
        var tail = new StderrTail();
        tail.Add("[mp4 @ 0x558f2f2fcc40] flac in MP4 support is experimental, add '-strict -2' if you want to use it.");
        tail.Add("Error initializing output stream 0:0 -- ");
        tail.Add("Conversion failed!");
        tail.Add("");

        Assert.Equal(
            "flac in MP4 support is experimental, add '-strict -2' if you want to use it.",
            tail.LastMeaningfulLine());
    }

    [Fact]
    public void Add_KeepsOnlyTheLastLines_WhenManyAreWritten()
    {
        var tail = new StderrTail();
        for (var i = 0; i < 1000; i++)
        {
            tail.Add($"line {i}");
        }

        var text = tail.ToString();
        Assert.DoesNotContain("line 0\n", text, StringComparison.Ordinal);
        Assert.EndsWith("line 999\n", text, StringComparison.Ordinal);
        Assert.True(text.Length < 2000);
    }

    [Fact]
    public void LastMeaningfulLine_ReturnsNull_WhenNothingWritten()
    {
        Assert.Null(new StderrTail().LastMeaningfulLine());
    }
}
