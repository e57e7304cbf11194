using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rotoscope.Cli.Tests;

/// <summary>What the user reads: usage mistakes named, tidy JSON, one consistent frame total.</summary>
[Trait("Category", "Integration")]
public sealed partial class MessagesTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Cli_NamesTheUnknownCommandAndSuggestsTheNearOne_WhenMistyped()
    {
        var outcome = await cli.RunAsync("rendr", "x.mp4");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Equal("rotoscope: unknown command 'rendr'; did you mean 'render'? (see 'rotoscope --help')", outcome.Error.Trim());
    }

    [Theory]
    [InlineData("s3://bucket/in.mp4", "no default S3 connector is configured")]
    [InlineData("s3+footage://in.mp4", "no S3 connector labelled 'footage'")]
    [InlineData("dropbox://Videos/in.mp4", "no default Dropbox connector is configured")]
    [InlineData("dropbox+review://in.mp4", "no Dropbox connector labelled 'review'")]
    public async Task Render_SaysWhatIsMissing_WhenNoConnectorServesTheUri(string input, string expected)
    {
        var outcome = await cli.RunAsync("render", input, "--style", "toon");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(expected, Assert.Single(outcome.Error.Trim().Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_WritesRoundedNumbersAndUtf8Paths_WhenJson()
    {
        var input = cli.MakeClip("vidéo über.mp4", 64, 48, 7, 1.3);

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Contains("vidéo über.toon.mp4", outcome.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", outcome.Out, StringComparison.Ordinal);
        Assert.Empty(LongDecimals().Matches(outcome.Out));
        Assert.Equal(1.286, JsonDocument.Parse(outcome.Out).RootElement.GetProperty("seconds").GetDouble());
    }

    [Fact]
    public async Task Render_ShowsOneFrameTotal_WhenAudioOutlastsTheVideo()
    {
        var input = cli.MakeClip("short-video.mp4", 96, 64, 10, 2, audio: false);
        var longAudio = cli.PathOf("longer.mp4");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", input, "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-map", "0:v", "-map", "1:a", "-t", "3", "-c:v", "copy", "-c:a", "aac", "-y", longAudio]);

        var outcome = await cli.RunAsync("render", longAudio, "--style", "toon");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var totals = FramesProgress().Matches(outcome.Out).Select(m => m.Groups["total"].Value).Distinct().ToList();
        Assert.Equal(["20"], totals);
        Assert.Contains("20 frames", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AcceptsMjpegVideo_WhenInMatroska()
    {
        var input = cli.PathOf("camera.mkv");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15", "-t", "2", "-c:v", "mjpeg", "-q:v", "3", "-y", input]);

        var outcome = await cli.RunAsync("render", input, "--style", "toon");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal(30, Cli.Probe(cli.PathOf("camera.toon.mkv")).Frames);
    }

    [Fact]
    public async Task Render_PassesPcmAudioThrough_WhenMovToMov()
    {
        var input = cli.MakeClip("edit.mov", 96, 64, 10, 1, audio: true, "-c:a", "pcm_s24le");
        var output = cli.PathOf("edit.toon.mov");

        var outcome = await cli.RunAsync("render", input, "--style", "toon");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var codec = Cli.Ffmpeg("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", output]).Trim();
        Assert.Equal("pcm_s24le", codec);
    }

    [GeneratedRegex(@"\d\.\d{4,}")]
    private static partial Regex LongDecimals();

    [GeneratedRegex(@"\d+/~?(?<total>\d+) frames")]
    private static partial Regex FramesProgress();
}
