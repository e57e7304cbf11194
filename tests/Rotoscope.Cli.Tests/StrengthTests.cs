using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary><c>--strength</c> and <c>--keep-colors</c> through the real CLI, with real ffmpeg and ONNX Runtime.</summary>
[Trait("Category", "Integration")]
public sealed class StrengthTests : IDisposable
{
    private const int Frame = 2;

    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_GivesBackTheInput_WhenStrengthIsZero()
    {
        var input = cli.MakeClip("zero.mp4", 96, 64, 10, 0.5, audio: false);
        var invert = Cli.RepoPath("tests", "fixtures", "models", "invert.onnx");
        await RenderAsync(input, $"{invert}|{invert}", "identity.mp4");

        var summary = await RenderAsync(input, "mosaic", "zero.out.mp4", "--strength", "0");

        Assert.Equal(0, summary.GetProperty("strength").GetDouble());
        Assert.False(summary.GetProperty("keepColors").GetBoolean());
        // The input as the pipeline gives back any frame it does not change (JPEG frames, x264): exactly that.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Cli.FrameRgb(cli.PathOf("identity.mp4"), i), Cli.FrameRgb(cli.PathOf("zero.out.mp4"), i));
        }

        var difference = RenderCommandTests.MeanAbsoluteDifference(Cli.FrameRgb(input, Frame), Cli.FrameRgb(cli.PathOf("zero.out.mp4"), Frame));
        Assert.True(difference < 4, $"strength 0 is {difference:0.00} from the input on average");
    }

    [Fact]
    public async Task Render_IsThePlainRender_WhenStrengthIsOne()
    {
        var input = cli.MakeClip("one.mp4", 96, 64, 10, 0.5, audio: false);
        var plain = await RenderAsync(input, "mosaic", "plain.mp4");

        var again = await RenderAsync(input, "mosaic", "plain.mp4", "--strength", "1");
        var elsewhere = await RenderAsync(input, "mosaic", "one.out.mp4", "--strength", "1.0");

        // The same render (same id, its result found), and elsewhere the same styled frames, reused, giving the same pixels.
        Assert.Equal(plain.GetProperty("renderId").GetString(), again.GetProperty("renderId").GetString());
        Assert.True(again.GetProperty("alreadyRendered").GetBoolean());
        Assert.Equal(5, elsewhere.GetProperty("framesReused").GetInt64());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Cli.FrameRgb(cli.PathOf("plain.mp4"), i), Cli.FrameRgb(cli.PathOf("one.out.mp4"), i));
        }
    }

    [Fact]
    public async Task Render_KeepsTheInputsColoursAndTakesTheStylesLuma_WhenKeepColors()
    {
        var input = PhotoClip("colours.mp4");
        await RenderAsync(input, "mosaic", "plain.mp4");

        var summary = await RenderAsync(input, "mosaic", "kept.mp4", "--keep-colors");

        Assert.True(summary.GetProperty("keepColors").GetBoolean());
        Assert.Equal(1, summary.GetProperty("strength").GetDouble());
        var source = YCbCr(Cli.FrameRgb(input, Frame));
        var styled = YCbCr(Cli.FrameRgb(cli.PathOf("plain.mp4"), Frame));
        var keptRgb = Cli.FrameRgb(cli.PathOf("kept.mp4"), Frame);
        var kept = YCbCr(keptRgb);
        AssertChromaKept(kept, source, styled, Unclipped(keptRgb), tolerance: 2.5);
        var keptLuma = Mean(kept, styled, c => c.Y);
        var sourceLuma = Mean(source, styled, c => c.Y);
        Assert.True(keptLuma < 3 && keptLuma < sourceLuma / 3, $"luma from the style's: kept colours {keptLuma:0.00}, the input {sourceLuma:0.00}");
    }

    [Fact]
    public async Task Render_BlendsAChainsOutputWithTheInput_WhenStrengthIsHalf()
    {
        var input = cli.MakeClip("chain.mp4", 96, 64, 10, 0.5, audio: false);
        var plain = await RenderAsync(input, "mosaic|ink", "plain.mp4");

        var outcome = await cli.RunAsync("render", input, "--style", "mosaic|ink", "--strength", "0.5", "--output", cli.PathOf("half.mp4"));

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Contains("half.mp4: 5 frames, 96x64 at 10/1 fps, 0.5 s, strength 0.5 — rendered", outcome.Out, StringComparison.Ordinal);
        var source = Cli.FrameRgb(input, Frame);
        var styled = Cli.FrameRgb(cli.PathOf("plain.mp4"), Frame);
        var halfway = source.Zip(styled, (a, b) => (byte)((a + b + 1) / 2)).ToArray();
        var half = Cli.FrameRgb(cli.PathOf("half.mp4"), Frame);
        Assert.True(RenderCommandTests.MeanAbsoluteDifference(source, styled) > 20, "the chain changes too little to tell");
        var difference = RenderCommandTests.MeanAbsoluteDifference(halfway, half);
        Assert.True(difference < 3, $"strength 0.5 is {difference:0.00} from halfway between input and chain on average");
        var renders = JsonDocument.Parse((await cli.RunAsync("status", "--json")).Out).RootElement.EnumerateArray()
            .ToDictionary(r => r.GetProperty("renderId").GetString()!, r => r.GetProperty("styles").GetString());
        Assert.Equal(2, renders.Count);
        var chain = renders[plain.GetProperty("renderId").GetString()!]!;
        Assert.Matches(@"^mosaic@\d+\.\d+\.\d+\|ink@\d+\.\d+\.\d+$", chain);
        Assert.Contains($"{chain} (strength 0.5)", renders.Values);
    }

    [Fact]
    public async Task Render_HasItsOwnIdAndStyledFrames_ForEachStrengthAndColourChoice()
    {
        var input = cli.MakeClip("ids.mp4", 64, 48, 10, 0.3, audio: false);
        string[][] choices = [[], ["--strength", "0.5"], ["--keep-colors"], ["--strength", "0.5", "--keep-colors"], ["--strength", "0.25"]];

        var summaries = new List<JsonElement>();
        for (var i = 0; i < choices.Length; i++)
        {
            summaries.Add(await RenderAsync(input, "toon", $"out{i}.mp4", choices[i]));
        }

        Assert.Equal(choices.Length, summaries.Select(s => s.GetProperty("renderId").GetString()).Distinct().Count());
        Assert.All(summaries, s => Assert.Equal(0, s.GetProperty("framesReused").GetInt64()));
        Assert.Equal(choices.Length, Directory.GetDirectories(Path.Combine(cli.DataDirectory, "styled")).Length);
    }

    [Theory]
    [InlineData("render", "abc")]
    [InlineData("render", "1.5")]
    [InlineData("render", "-0.1")]
    [InlineData("render", "NaN")]
    [InlineData("render", "0,5")]
    [InlineData("stylize", "2")]
    [InlineData("watch", "Infinity")]
    public async Task Command_FailsWithOneLine_WhenStrengthIsNotFrom0To1(string command, string value)
    {
        var outcome = await cli.RunAsync(command, cli.PathOf("in"), "--style", "toon", "--output", cli.PathOf("out"), "--strength", value);

        Assert.NotEqual(0, outcome.ExitCode);
        var line = Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.Contains($"--strength must be a number from 0 to 1 (got '{value}')", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stylize_GivesBackTheImage_WhenStrengthIsZero_AndItsColoursWithKeepColors()
    {
        var input = cli.PathOf("in");
        Directory.CreateDirectory(input);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", Photo, "-vf", "scale=128:96", "-frames:v", "1", "-update", "1", "-y", Path.Combine(input, "a.png")]);

        var zero = await cli.RunAsync("stylize", input, "--style", "mosaic", "--output", cli.PathOf("zero"), "--strength", "0", "--json");
        var plain = await cli.RunAsync("stylize", input, "--style", "mosaic", "--output", cli.PathOf("plain"));
        var kept = await cli.RunAsync("stylize", input, "--style", "mosaic", "--output", cli.PathOf("kept"), "--keep-colors");

        Assert.True(zero.ExitCode == 0 && plain.ExitCode == 0 && kept.ExitCode == 0, zero.Error + plain.Error + kept.Error);
        Assert.Equal(0, JsonDocument.Parse(zero.Out).RootElement.GetProperty("strength").GetDouble());
        Assert.Contains("1 of 1 images styled (original colours)", kept.Out, StringComparison.Ordinal);
        var source = Cli.FrameRgb(Path.Combine(input, "a.png"), 0);
        Assert.Equal(source, Cli.FrameRgb(cli.PathOf("zero/a.png"), 0)); // PNG in, PNG out: nothing lossy between
        var keptRgb = Cli.FrameRgb(cli.PathOf("kept/a.png"), 0);
        AssertChromaKept(YCbCr(keptRgb), YCbCr(source), YCbCr(Cli.FrameRgb(cli.PathOf("plain/a.png"), 0)), Unclipped(keptRgb), tolerance: 0.5);
    }

    [Fact]
    public async Task Render_NamesAnAdjustedRenderForItsAdjustment_ByDefault()
    {
        var input = cli.MakeClip("clip.mp4", 64, 48, 10, 0.3, audio: false);
        string[][] choices = [[], ["--strength", "0.5"], ["--keep-colors"], ["--strength", "0.25", "--keep-colors"]];
        foreach (var options in choices)
        {
            var outcome = await cli.RunAsync(["render", input, "--style", "toon", .. options]);
            Assert.True(outcome.ExitCode == 0, outcome.Error);
        }

        // Each beside the input under its own name: none refused the other's output or overwrote it.
        string[] names = ["clip.toon.mp4", "clip.toon-strength0.5.mp4", "clip.toon-keep-colors.mp4", "clip.toon-strength0.25-keep-colors.mp4"];
        Assert.All(names, n => Assert.True(File.Exists(cli.PathOf(n)), $"{n} is missing"));
    }

    [Fact]
    public async Task Watch_RendersWithTheStrengthGiven()
    {
        Directory.CreateDirectory(cli.PathOf("in"));
        var input = cli.PathOf("in/a.mp4");
        File.Move(cli.MakeClip("a.mp4", 64, 48, 10, 0.3, audio: false), input);

        var outcome = await cli.RunAsync("watch", cli.PathOf("in"), "--style", "toon", "--output", cli.PathOf("out"), "--once", "--settle", "0s", "--strength", "0");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var difference = RenderCommandTests.MeanAbsoluteDifference(Cli.FrameRgb(input, Frame), Cli.FrameRgb(cli.PathOf("out/a.toon-strength0.mp4"), Frame));
        Assert.True(difference < 4, $"strength 0 is {difference:0.00} from the input on average (toon itself: over 40)");
    }

    // A photograph rather than test bars: colours as a camera gives them, most of them far from saturation.
    private static string Photo => Cli.RepoPath("models", "content", "coffee.jpg");

    private string PhotoClip(string name)
    {
        var path = cli.PathOf(name);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-loop", "1", "-framerate", "10", "-i", Photo, "-vf", "scale=128:96", "-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-y", path]);
        return path;
    }

    private async Task<JsonElement> RenderAsync(string input, string style, string output, params string[] options)
    {
        var outcome = await cli.RunAsync(["render", input, "--style", style, "--output", cli.PathOf(output), "--json", .. options]);
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return JsonDocument.Parse(outcome.Out).RootElement.Clone();
    }

    // Full-range BT.601 of each pixel, as the adjustment defines keeping colours.
    private static (double Y, double Cb, double Cr)[] YCbCr(byte[] rgb) =>
        [.. rgb.Chunk(3).Select(p => (
            (0.299 * p[0]) + (0.587 * p[1]) + (0.114 * p[2]),
            128 - (0.168736 * p[0]) - (0.331264 * p[1]) + (0.5 * p[2]),
            128 + (0.5 * p[0]) - (0.418688 * p[1]) - (0.081312 * p[2])))];

    // Where the output's own channels are all clear of 0 and 255: a pixel whose new luma pushed a channel past either
    // end is clamped, and its colour with it (a saturated red cannot be made white and stay red).
    private static bool[] Unclipped(byte[] rgb) => [.. rgb.Chunk(3).Select(p => p.All(v => v is > 3 and < 252))];

    // Cb and Cr are the input's wherever nothing was clamped (most pixels), and far from the plain style's.
    private static void AssertChromaKept((double Y, double Cb, double Cr)[] kept, (double Y, double Cb, double Cr)[] source, (double Y, double Cb, double Cr)[] styled, bool[] unclipped, double tolerance)
    {
        Assert.True(unclipped.Count(u => u) > unclipped.Length / 2, $"only {unclipped.Count(u => u)} of {unclipped.Length} pixels are unclipped");
        var keptChroma = Mean(kept, source, unclipped, c => c.Cb, c => c.Cr);
        var styledChroma = Mean(styled, source, unclipped, c => c.Cb, c => c.Cr);
        Assert.True(keptChroma < tolerance && keptChroma < styledChroma / 5, $"chroma from the input's: kept colours {keptChroma:0.00}, the plain style {styledChroma:0.00}");
    }

    // The mean absolute difference of the given components (over the pixels where <paramref name="where"/> holds), averaged over them.
    private static double Mean((double Y, double Cb, double Cr)[] a, (double Y, double Cb, double Cr)[] b, params Func<(double Y, double Cb, double Cr), double>[] components) =>
        Mean(a, b, [.. a.Select(_ => true)], components);

    private static double Mean((double Y, double Cb, double Cr)[] a, (double Y, double Cb, double Cr)[] b, bool[] where, params Func<(double Y, double Cb, double Cr), double>[] components)
    {
        Assert.Equal(a.Length, b.Length);
        var pixels = Enumerable.Range(0, a.Length).Where(i => where[i]).ToList();
        return components.Average(c => pixels.Average(i => Math.Abs(c(a[i]) - c(b[i]))));
    }
}
