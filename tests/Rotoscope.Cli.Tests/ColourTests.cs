namespace Rotoscope.Cli.Tests;

/// <summary>True colours: an identity style gives back the source's colours, whatever its size and tags.</summary>
[Trait("Category", "Integration")]
public sealed class ColourTests : IDisposable
{
    private static readonly (int R, int G, int B) Green = (29, 188, 59);

    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Theory]
    [InlineData(1280, 720, "bt709", false)]  // HD without tags: BT.709, as players assume
    [InlineData(1280, 720, "bt709", true)]
    [InlineData(640, 360, "smpte170m", false)] // SD without tags: BT.601
    [InlineData(640, 360, "smpte170m", true)]
    [InlineData(640, 360, "bt709", true)]    // SD tagged BT.709: the tag wins over the size
    public async Task Render_KeepsFlatColours_WhenStyleIsIdentity(int width, int height, string matrix, bool tagged)
    {
        var input = MakeFlatClip($"flat-{width}-{matrix}-{tagged}.mp4", width, height, matrix, tagged);
        var output = cli.PathOf($"flat-{width}-{matrix}-{tagged}.out.mp4");
        var invert = Cli.RepoPath("tests", "fixtures", "models", "invert.onnx");

        var outcome = await cli.RunAsync("render", input, "--style", $"{invert}|{invert}", "--output", output, "--frame-format", "Png");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var tags = Cli.Ffmpeg("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=color_space,color_range", "-of", "csv=p=0", output]).Trim().Split(',');
        Assert.Equal(["tv", matrix], tags); // ffprobe prints range, then space
        // Against the source decoded the same way (its tags, or the standard for its size): only codec loss between.
        var source = MeanColour(input, matrix);
        var rendered = MeanColour(output, matrix);
        Assert.True(
            Math.Abs(rendered.R - source.R) <= 2.5 && Math.Abs(rendered.G - source.G) <= 2.5 && Math.Abs(rendered.B - source.B) <= 2.5,
            $"rendered {rendered}, source {source}");
        Assert.True(Math.Abs(source.G - Green.G) <= 3, $"the test clip itself decodes to {source}");
    }

    private string MakeFlatClip(string name, int width, int height, string matrix, bool tagged)
    {
        var path = cli.PathOf(name);
        var scale = matrix == "bt709" ? "bt709" : "bt601";
        List<string> args =
        [
            "-v", "error", "-f", "lavfi",
            "-i", $"color=c=0x{Green.R:X2}{Green.G:X2}{Green.B:X2}:s={width}x{height}:r=10,format=rgb24",
            "-t", "1", "-vf", $"scale=out_color_matrix={scale}:out_range=tv,format=yuv420p", "-c:v", "libx264", "-crf", "8",
        ];
        if (tagged)
        {
            args.AddRange(["-colorspace", matrix, "-color_primaries", matrix, "-color_trc", matrix, "-color_range", "tv"]);
        }

        args.AddRange(["-y", path]);
        Cli.Ffmpeg("ffmpeg", args);
        return path;
    }

    // Decodes frame 5 with the matrix the output is tagged with and averages its middle.
    private static (double R, double G, double B) MeanColour(string path, string matrix)
    {
        var rgb = Cli.FrameRgb(path, 5, $"scale=in_color_matrix={matrix}:in_range=tv,format=rgb24,crop=32:32");
        Assert.Equal(32 * 32 * 3, rgb.Length);
        double Mean(int channel) => Enumerable.Range(0, 32 * 32).Average(i => rgb[(i * 3) + channel]);
        return (Mean(0), Mean(1), Mean(2));
    }
}
