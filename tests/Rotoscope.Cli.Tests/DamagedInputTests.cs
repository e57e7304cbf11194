using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary>Truncated or damaged inputs fail with one line, unless the user asks to render what decodes.</summary>
[Trait("Category", "Integration")]
public sealed class DamagedInputTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_FailsNamingWhereItEnds_WhenWebmIsTruncated()
    {
        var input = await HalfOfAsync(MakeWebm("whole.webm"), "half.webm");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("half.out.mp4"));

        Assert.Equal(1, outcome.ExitCode);
        var line = Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.Matches(@"^rotoscope: .*half\.webm ends at 1\.\d\d s of 3\.0\d s: the file is truncated or damaged \(--allow-damaged renders what decodes\)$", line);
        Assert.False(File.Exists(cli.PathOf("half.out.mp4")));
    }

    [Fact]
    public async Task Render_RendersWhatDecodesAndSaysSo_WhenAllowDamaged()
    {
        var input = await HalfOfAsync(MakeWebm("whole.webm"), "half.webm");
        var output = cli.PathOf("half.out.mp4");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", output, "--allow-damaged", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var summary = JsonDocument.Parse(outcome.Out).RootElement;
        Assert.StartsWith("ends at 1.", summary.GetProperty("inputDamage").GetString(), StringComparison.Ordinal);
        Assert.Contains(summary.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("rendered what decodes", StringComparison.Ordinal));
        var frames = summary.GetProperty("frames").GetInt64();
        Assert.InRange(frames, 20, 60);
        Assert.Equal(frames, Cli.Probe(output).Frames);
    }

    [Fact]
    public async Task Render_FailsOnDecodeErrors_WhenTheMiddleOfTheFileIsCorrupt()
    {
        var input = cli.MakeClip("whole.mp4", 320, 240, 30, 3, audio: true, "-movflags", "+faststart");
        var bytes = await File.ReadAllBytesAsync(input);
        Array.Fill(bytes, (byte)0xff, bytes.Length / 2, 20_000);
        var corrupt = cli.PathOf("corrupt.mp4");
        await File.WriteAllBytesAsync(corrupt, bytes);

        var outcome = await cli.RunAsync("render", corrupt, "--style", "toon");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("corrupt.mp4 does not decode cleanly (", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-damaged", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_RedoesAZeroLengthFrame_WhenACrashLeftOneInTheStore()
    {
        var input = cli.MakeClip("crash.mp4", 64, 48, 10, 2);
        var first = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("a.mp4"));
        Assert.True(first.ExitCode == 0, first.Error);

        // What a power loss used to leave: frames that exist, with nothing in them, split and styled alike.
        var split = Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "frames"), "000007.jpg", SearchOption.AllDirectories).Single();
        var styled = Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "styled"), "000012.jpg", SearchOption.AllDirectories).Single();
        await File.WriteAllBytesAsync(split, []);
        await File.WriteAllBytesAsync(styled, []);

        var second = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("b.mp4"), "--json");

        Assert.True(second.ExitCode == 0, second.Error);
        Assert.True(new FileInfo(split).Length > 0, "the empty split frame was not redone");
        Assert.True(new FileInfo(styled).Length > 0, "the empty styled frame was not redone");
        Assert.Equal(20, Cli.Probe(cli.PathOf("b.mp4")).Frames);
    }

    [Fact]
    public async Task Render_RemovesAndNamesADamagedStyledFrame_ThenRecoversOnTheNextRun()
    {
        var input = cli.MakeClip("rot.mp4", 64, 48, 10, 2);
        Assert.Equal(0, (await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("a.mp4"))).ExitCode);
        var styled = Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "styled"), "000005.jpg", SearchOption.AllDirectories).Single();
        var size = (int)new FileInfo(styled).Length;
        await File.WriteAllBytesAsync(styled, Enumerable.Repeat((byte)0x5a, size).ToArray());

        var damaged = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("b.mp4"));
        var recovered = await cli.RunAsync("render", input, "--style", "toon", "--output", cli.PathOf("b.mp4"));

        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains("000005.jpg is damaged", damaged.Error, StringComparison.Ordinal);
        Assert.Contains("run the same command again", damaged.Error, StringComparison.Ordinal);
        Assert.True(recovered.ExitCode == 0, recovered.Error);
        Assert.Equal(20, Cli.Probe(cli.PathOf("b.mp4")).Frames);
    }

    private string MakeWebm(string name)
    {
        var path = cli.PathOf(name);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-y", path]);
        return path;
    }

    private async Task<string> HalfOfAsync(string whole, string name)
    {
        var bytes = await File.ReadAllBytesAsync(whole);
        var path = cli.PathOf(name);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        return path;
    }
}
