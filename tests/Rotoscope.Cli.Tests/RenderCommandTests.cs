using System.Text.Json;

namespace Rotoscope.Cli.Tests;

[Trait("Category", "Integration")]
public sealed class RenderCommandTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_KeepsFramesFpsSizeDurationAndAudio_WhenStylingWithBuiltInStyle()
    {
        var input = cli.MakeClip("drone.mp4", 160, 96, 24, 1.5);

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--json", "--batch-size", "8");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var summary = JsonDocument.Parse(outcome.Out).RootElement;
        var output = cli.PathOf("drone.toon.mp4");
        Assert.Equal(output, summary.GetProperty("output").GetString());
        var source = Cli.Probe(input);
        var styled = Cli.Probe(output);
        Assert.Equal(source.Frames, styled.Frames);
        Assert.Equal(36, styled.Frames);
        Assert.Equal("24/1", styled.Fps);
        Assert.Equal((160, 96), (styled.Width, styled.Height));
        Assert.True(styled.HasAudio);
        Assert.InRange(styled.Duration, source.Duration - 1 / 24.0, source.Duration + 1 / 24.0);
        Assert.Equal(36, summary.GetProperty("frames").GetInt64());
        Assert.Equal("toon", summary.GetProperty("styles")[0].GetProperty("id").GetString());
        Assert.Equal(64, summary.GetProperty("styles")[0].GetProperty("sha256").GetString()!.Length);
        Assert.True(MeanAbsoluteDifference(Cli.FrameRgb(input, 10), Cli.FrameRgb(output, 10)) > 8, "the style did not visibly change the pixels");
    }

    [Fact]
    public async Task Render_ResamplesToExactRate_WhenFpsGiven()
    {
        var input = cli.MakeClip("clip.mp4", 96, 64, 30, 1, audio: false);
        var output = cli.PathOf("out/styled.mp4");

        var outcome = await cli.RunAsync("render", input, "--style", "ink", "--output", output, "--fps", "60", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var styled = Cli.Probe(output);
        Assert.Equal("60/1", styled.Fps);
        Assert.Equal(60, styled.Frames);
        Assert.False(styled.HasAudio);
    }

    [Fact]
    public async Task Render_KeepsExactOddGeometry_WhenSizeIsNotEven()
    {
        var input = cli.MakeClip("odd.mkv", 161, 91, 25, 0.4);

        var outcome = await cli.RunAsync("render", input, "--style", "posterize", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var styled = Cli.Probe(cli.PathOf("odd.posterize.mkv"));
        Assert.Equal((161, 91), (styled.Width, styled.Height));
        Assert.Equal(10, styled.Frames);
        Assert.True(styled.HasAudio);
    }

    [Fact]
    public async Task Render_OutputsDisplayGeometry_WhenSourceIsRotated()
    {
        var plain = cli.MakeClip("plain.mp4", 128, 64, 10, 0.5, audio: false);
        var rotated = cli.PathOf("rotated.mp4");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", "-y", rotated]);

        var outcome = await cli.RunAsync("render", rotated, "--style", "toon", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var styled = Cli.Probe(cli.PathOf("rotated.toon.mp4"));
        Assert.Equal((64, 128), (styled.Width, styled.Height));
    }

    [Fact]
    public async Task Render_KeepsPixelShape_WhenSourceIsAnamorphic()
    {
        var input = cli.MakeClip("dv.mkv", 120, 80, 10, 0.5, audio: false, "-vf", "setsar=8/9");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var sar = Cli.Ffmpeg("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=sample_aspect_ratio", "-of", "csv=p=0", cli.PathOf("dv.toon.mkv")]);
        Assert.Equal("8:9", sar.Trim());
    }

    [Fact]
    public async Task Render_ReusesEverything_WhenSameRequestRunsTwice()
    {
        var input = cli.MakeClip("twice.mp4", 96, 64, 20, 1);
        var first = await cli.RunAsync("render", input, "--style", "toon", "--json", "--batch-size", "4");
        Assert.True(first.ExitCode == 0, first.Error);
        File.Delete(cli.PathOf("twice.toon.mp4"));

        var second = await cli.RunAsync("render", input, "--style", "toon", "--json", "--batch-size", "4");

        Assert.True(second.ExitCode == 0, second.Error);
        var a = JsonDocument.Parse(first.Out).RootElement;
        var b = JsonDocument.Parse(second.Out).RootElement;
        Assert.Equal(a.GetProperty("renderId").GetString(), b.GetProperty("renderId").GetString());
        Assert.Equal(0, a.GetProperty("framesReused").GetInt64());
        Assert.Equal(20, b.GetProperty("framesReused").GetInt64());
        Assert.Equal(20, Cli.Probe(cli.PathOf("twice.toon.mp4")).Frames);
    }

    [Fact]
    public async Task Render_ReusesTheSplit_WhenSecondStyleRunsOnSameVideo()
    {
        var input = cli.MakeClip("split.mp4", 96, 64, 20, 0.5);
        Assert.Equal(0, (await cli.RunAsync("render", input, "--style", "toon", "--json")).ExitCode);
        var splits = Directory.GetDirectories(Path.Combine(cli.DataDirectory, "frames"));

        var second = await cli.RunAsync("render", input, "--style", "ink", "--json");

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(splits, Directory.GetDirectories(Path.Combine(cli.DataDirectory, "frames")));
        Assert.False(JsonDocument.Parse(second.Out).RootElement.GetProperty("stageSeconds").TryGetProperty("splitting", out _));
    }

    [Fact]
    public async Task Render_AppliesChainInOrder_WhenStylesArePiped()
    {
        var input = cli.MakeClip("chain.mp4", 96, 64, 10, 0.5, audio: false);

        var outcome = await cli.RunAsync("render", input, "--style", "posterize|ink", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var styles = JsonDocument.Parse(outcome.Out).RootElement.GetProperty("styles");
        Assert.Equal(["posterize", "ink"], styles.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.True(File.Exists(cli.PathOf("chain.posterize_ink.mp4")));
    }

    [Fact]
    public async Task Render_KeepsEveryFrameInItsPlace_WhenTheFrameWorkOverlapsTheModel()
    {
        // At 640x360 the CPU runs one frame per model call, and while one frame is in the model the next is decoded and
        // the last encoded, in a second pair of buffers: a frame taken from the wrong buffer lands in another's place.
        const int frames = 12;
        var input = cli.MakeClip("order.mp4", 640, 360, 10, 1.2, audio: false);
        var invert = Cli.RepoPath("tests", "fixtures", "models", "invert.onnx");

        var outcome = await cli.RunAsync("render", input, "--style", $"{invert}|{invert}", "--output", cli.PathOf("order.out.mp4"));

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var sources = Enumerable.Range(0, frames).Select(i => Cli.FrameRgb(input, i)).ToList();
        for (var i = 0; i < frames; i++)
        {
            var styled = Cli.FrameRgb(cli.PathOf("order.out.mp4"), i);
            var differences = sources.Select(source => MeanAbsoluteDifference(source, styled)).ToList();
            Assert.True(differences.IndexOf(differences.Min()) == i, $"output frame {i} is closest to input frame {differences.IndexOf(differences.Min())}");
            Assert.True(differences[i] < 3, $"output frame {i} is {differences[i]:0.00} from its input on average");
        }
    }

    [Fact]
    public async Task Render_WritesToDataStore_WhenOutputIsDataUri()
    {
        var input = cli.MakeClip("store.mp4", 96, 64, 10, 0.5);

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", "data://exports/store.toon.mp4", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal(5, Cli.Probe(Path.Combine(cli.DataDirectory, "exports", "store.toon.mp4")).Frames);
    }

    [Fact]
    public async Task Render_ReusesStyledFrames_WhenOnlyTheOutputDiffers()
    {
        var input = cli.MakeClip("outputs.mp4", 96, 64, 10, 1);
        var first = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("a.mp4"), "--json");
        Assert.True(first.ExitCode == 0, first.Error);

        var second = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("b.mkv"), "--json");

        Assert.True(second.ExitCode == 0, second.Error);
        var summary = JsonDocument.Parse(second.Out).RootElement;
        Assert.NotEqual(JsonDocument.Parse(first.Out).RootElement.GetProperty("renderId").GetString(), summary.GetProperty("renderId").GetString());
        Assert.Equal(10, summary.GetProperty("framesReused").GetInt64());
        Assert.Equal(10, Cli.Probe(cli.PathOf("a.mp4")).Frames);
        Assert.Equal(10, Cli.Probe(cli.PathOf("b.mkv")).Frames);
    }

    [Fact]
    public async Task Render_PrintsProgressOnStdout_WhenNotATerminal()
    {
        var input = cli.MakeClip("plain.mp4", 96, 64, 10, 0.5);

        var outcome = await cli.RunAsync("render", input, "--style", "toon");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal("", outcome.Error);
        Assert.StartsWith("render ", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("plain.toon.mp4: 5 frames, 96x64 at 10/1 fps", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_FallsBackToCpuAndSaysSo_WhenDeviceIsAutoWithoutGpuBuild()
    {
        var input = cli.MakeClip("auto.mp4", 64, 48, 10, 0.3);

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--device", "auto", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var note = Assert.Single(JsonDocument.Parse(outcome.Out).RootElement.GetProperty("notes").EnumerateArray()).GetString();
        Assert.Contains("using CPU", note, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Render_UsesModelFromDataStore_WhenStyleIsDataUri()
    {
        var input = cli.MakeClip("mine.mp4", 64, 48, 10, 0.5, audio: false);
        Directory.CreateDirectory(Path.Combine(cli.DataDirectory, "styles"));
        File.Copy(Cli.RepoPath("models", "ink", "model.onnx"), Path.Combine(cli.DataDirectory, "styles", "my-ink.onnx"));

        var outcome = await cli.RunAsync("render", input, "--style", "data://styles/my-ink.onnx", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var style = JsonDocument.Parse(outcome.Out).RootElement.GetProperty("styles")[0];
        Assert.Equal("my-ink", style.GetProperty("id").GetString());
        Assert.Equal("file", style.GetProperty("version").GetString());
        Assert.Equal(5, Cli.Probe(cli.PathOf("mine.my-ink.mp4")).Frames);
    }

    [Fact]
    public async Task Render_StoresLosslessFrames_WhenFrameFormatIsPng()
    {
        var input = cli.MakeClip("png.mp4", 64, 48, 10, 0.5, audio: false);

        var outcome = await cli.RunAsync("render", input, "--style", "posterize", "--frame-format", "Png", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var stored = Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "frames"), "*.*", SearchOption.AllDirectories).Select(Path.GetExtension).ToList();
        Assert.Equal(5, stored.Count(e => e == ".png"));
        Assert.DoesNotContain(".jpg", stored);
        Assert.Equal(5, Cli.Probe(cli.PathOf("png.posterize.mp4")).Frames);
    }

    internal static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }
}
