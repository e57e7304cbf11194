using System.Text.Json;
using Rotoscope.Core.Imaging;

namespace Rotoscope.Cli.Tests;

/// <summary><c>rotoscope stylize</c> on folders and globs of real JPEGs and PNGs, run in process on the embedded scheduler.</summary>
[Trait("Category", "Integration")]
public sealed class StylizeTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Stylize_WritesEveryImageUnderItsNameInItsFormatAndSize_WithStyledPixels()
    {
        var input = MakeImages("in", "a.jpg", "b.png", "sub/deeper/c.jpeg", "odd.jpg:67x45");
        File.WriteAllText(Path.Combine(input, "notes.txt"), "not an image");

        var outcome = await cli.RunAsync("stylize", input, "--style", "mosaic", "--output", cli.PathOf("out"), "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var summary = JsonDocument.Parse(outcome.Out).RootElement;
        Assert.Equal((4, 4, 0, 0), (summary.GetProperty("images").GetInt32(), summary.GetProperty("styled").GetInt32(), summary.GetProperty("skipped").GetInt32(), summary.GetProperty("failed").GetInt32()));
        Assert.Equal("notes.txt", summary.GetProperty("notImages")[0].GetString());
        Assert.Equal(["a.jpg", "b.png", "odd.jpg", "sub/deeper/c.jpeg"], OutputNames("out"));
        using var codec = new ImageCodec();
        foreach (var name in OutputNames("out"))
        {
            var before = File.ReadAllBytes(Path.Combine(input, name));
            var after = File.ReadAllBytes(cli.PathOf(Path.Combine("out", name)));
            Assert.Equal(ImageCodec.Detect(before), ImageCodec.Detect(after));
            using var original = codec.Decode(before);
            using var styled = codec.Decode(after);
            Assert.Equal((original.Width, original.Height), (styled.Width, styled.Height));
            Assert.True(MeanDifference(original.Pixels, styled.Pixels) > 10, $"{name} looks unstyled");
        }

        Assert.Empty(Directory.GetFiles(cli.PathOf("out"), "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Stylize_KeepsAPngsTransparency_AndStylesItsColours()
    {
        var input = cli.PathOf("in");
        Directory.CreateDirectory(input);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X*4'", "-frames:v", "1", "-update", "1", "-y", Path.Combine(input, "alpha.png")]);

        await RunJsonAsync(0, "stylize", input, "--style", "mosaic", "--output", cli.PathOf("out"), "--json");

        using var codec = new ImageCodec();
        using var original = codec.Decode(File.ReadAllBytes(Path.Combine(input, "alpha.png")), out var alphaBefore);
        using var styled = codec.Decode(File.ReadAllBytes(cli.PathOf("out/alpha.png")), out var alphaAfter);
        Assert.NotNull(alphaBefore);
        Assert.Equal(alphaBefore, alphaAfter);
        Assert.True(MeanDifference(original.Pixels, styled.Pixels) > 10, "the colours look unstyled");
    }

    [Fact]
    public async Task Stylize_TurnsAPhotoStoredSidewaysUpright_ByItsExifOrientation()
    {
        // A camera held sideways stores the picture turned and says so in EXIF (orientation 6: turn 90 clockwise). Our
        // output carries no EXIF, so it must come out turned already: at strength 0 it is the photo as viewers show it.
        var input = MakeImages("in", "stored.jpg:96x64");
        var stored = Path.Combine(input, "stored.jpg");
        var upright = cli.PathOf("upright.png");
        var wrongWay = cli.PathOf("wrong-way.png");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", stored, "-vf", "transpose=clock", "-update", "1", "-y", upright]);
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-i", stored, "-vf", "transpose=cclock", "-update", "1", "-y", wrongWay]);
        var jpeg = File.ReadAllBytes(stored);
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        byte[] exif = [0xFF, 0xE1, 0, (byte)(2 + 6 + tiff.Length), .. "Exif\0\0"u8, .. tiff];
        File.WriteAllBytes(stored, [.. jpeg[..2], .. exif, .. jpeg[2..]]);

        await RunJsonAsync(0, "stylize", input, "--style", "mosaic", "--strength", "0", "--output", cli.PathOf("out"), "--json");

        using var codec = new ImageCodec();
        using var expected = codec.Decode(File.ReadAllBytes(upright));
        using var turnedWrong = codec.Decode(File.ReadAllBytes(wrongWay));
        using var styled = codec.Decode(File.ReadAllBytes(cli.PathOf("out/stored.jpg")));
        Assert.Equal((64, 96), (styled.Width, styled.Height));
        // JPEG twice over on a sharp test card costs a few levels; turned the wrong way costs tens.
        var (right, wrong) = (MeanDifference(expected.Pixels, styled.Pixels), MeanDifference(turnedWrong.Pixels, styled.Pixels));
        Assert.True(right < 10 && right < wrong / 3, $"the output differs from the photo turned upright by {right:0.0} per channel, from it turned the other way by {wrong:0.0}");
    }

    [Fact]
    public async Task Stylize_SkipsEverythingTheSecondTime_AndRedoesOnlyADeletedOutput()
    {
        var input = MakeImages("in", "a.jpg", "b.jpg", "c.png");
        var output = cli.PathOf("out");
        var first = await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", output, "--json", "--batch-size", "2");
        var writtenB = File.GetLastWriteTimeUtc(Path.Combine(output, "b.jpg"));

        var second = await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", output, "--json");
        File.Delete(Path.Combine(output, "a.jpg"));
        var third = await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", output, "--json");

        Assert.Equal((3, 0), (first.GetProperty("styled").GetInt32(), first.GetProperty("skipped").GetInt32()));
        Assert.Equal((0, 3), (second.GetProperty("styled").GetInt32(), second.GetProperty("skipped").GetInt32()));
        Assert.Equal((1, 2), (third.GetProperty("styled").GetInt32(), third.GetProperty("skipped").GetInt32()));
        Assert.True(File.Exists(Path.Combine(output, "a.jpg")));
        Assert.Equal(writtenB, File.GetLastWriteTimeUtc(Path.Combine(output, "b.jpg")));
    }

    [Fact]
    public async Task Stylize_RestylesAnImage_WhenItsInputChanged()
    {
        var input = MakeImages("in", "a.jpg", "b.jpg");
        await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", cli.PathOf("out"), "--json");
        MakeImage(Path.Combine(input, "a.jpg"), 80, 60);

        var again = await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", cli.PathOf("out"), "--json");

        Assert.Equal((1, 1), (again.GetProperty("styled").GetInt32(), again.GetProperty("skipped").GetInt32()));
        using var codec = new ImageCodec();
        using var styled = codec.Decode(File.ReadAllBytes(cli.PathOf("out/a.jpg")));
        Assert.Equal((80, 60), (styled.Width, styled.Height));
    }

    [Fact]
    public async Task Stylize_NamesABrokenImageAndFails_AfterStylingTheOthers()
    {
        var input = MakeImages("in", "a.jpg", "c.png");
        var broken = Path.Combine(input, "b.jpg");
        var whole = File.ReadAllBytes(Path.Combine(input, "a.jpg"));
        File.WriteAllBytes(broken, whole[..(whole.Length / 3)]);

        var outcome = await cli.RunAsync("stylize", input, "--style", "toon", "--output", cli.PathOf("out"), "--json");

        Assert.Equal(1, outcome.ExitCode);
        var lines = outcome.Error.Trim().Split('\n');
        Assert.StartsWith($"rotoscope: cannot stylize {broken}: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("1 of 3 images could not be styled", lines[^1], StringComparison.Ordinal);
        Assert.Equal(["a.jpg", "c.png"], OutputNames("out"));
        var summary = JsonDocument.Parse(outcome.Out).RootElement;
        Assert.Equal((2, 1), (summary.GetProperty("styled").GetInt32(), summary.GetProperty("failed").GetInt32()));

        // Fixed, it is the only one done on the next run.
        File.WriteAllBytes(broken, whole);
        var fixedRun = await RunJsonAsync(0, "stylize", input, "--style", "toon", "--output", cli.PathOf("out"), "--json");
        Assert.Equal((1, 2), (fixedRun.GetProperty("styled").GetInt32(), fixedRun.GetProperty("skipped").GetInt32()));
    }

    [Fact]
    public async Task Stylize_StylesOnlyWhatTheGlobMatches()
    {
        var input = MakeImages("in", "a.jpg", "b.png", "sub/c.jpg", "sub/d.png", "sub/x/e.png");

        var top = await RunJsonAsync(0, "stylize", Path.Combine(input, "*.jpg"), "--style", "toon", "--output", cli.PathOf("top"), "--json");
        var deep = await RunJsonAsync(0, "stylize", Path.Combine(input, "**", "*.png"), "--style", "toon", "--output", cli.PathOf("deep"), "--json");
        var one = await RunJsonAsync(0, "stylize", Path.Combine(input, "sub", "c.jpg"), "--style", "toon", "--output", cli.PathOf("one"), "--json");

        Assert.Equal(1, top.GetProperty("styled").GetInt32());
        Assert.Equal(["a.jpg"], OutputNames("top"));
        Assert.Equal(["b.png", "sub/d.png", "sub/x/e.png"], OutputNames("deep"));
        Assert.Equal(["c.jpg"], OutputNames("one"));
    }

    [Fact]
    public async Task Stylize_ReadsAndWritesTheDataStore()
    {
        var input = MakeImages(Path.Combine("data", "stills"), "a.jpg", "b/c.png");

        var outcome = await RunJsonAsync(0, "stylize", "data://stills/**/*.png", "--style", "toon", "--output", "data://styled-stills/", "--json");
        var all = await RunJsonAsync(0, "stylize", "data://stills/", "--style", "toon", "--output", "data://styled-stills/", "--json");

        Assert.Equal(1, outcome.GetProperty("styled").GetInt32());
        Assert.Equal((1, 1), (all.GetProperty("styled").GetInt32(), all.GetProperty("skipped").GetInt32()));
        Assert.Equal(["a.jpg", "b/c.png"], OutputNames(Path.Combine("data", "styled-stills")));
        Assert.True(Directory.Exists(input));
    }

    [Fact]
    public async Task Stylize_FailsWithOneLine_WhenNothingMatchesTheStyleIsUnknownOrTheOutputIsTaken()
    {
        var input = MakeImages("in", "a.jpg");
        File.WriteAllBytes(cli.PathOf("taken.jpg"), []);
        Directory.CreateDirectory(cli.PathOf("taken"));
        File.Copy(Path.Combine(input, "a.jpg"), cli.PathOf("taken/a.jpg"));

        var none = await cli.RunAsync("stylize", Path.Combine(input, "*.png"), "--style", "toon", "--output", cli.PathOf("out"));
        var style = await cli.RunAsync("stylize", input, "--style", "tooon", "--output", cli.PathOf("out"));
        var same = await cli.RunAsync("stylize", input, "--style", "toon", "--output", input);
        var taken = await cli.RunAsync("stylize", input, "--style", "toon", "--output", cli.PathOf("taken"));
        var overwritten = await cli.RunAsync("stylize", input, "--style", "toon", "--output", cli.PathOf("taken"), "--overwrite");

        Assert.Equal((1, $"rotoscope: no JPEG or PNG images match {Path.Combine(input, "*.png")}"), (none.ExitCode, none.Error.Trim()));
        Assert.Equal(1, style.ExitCode);
        Assert.Contains("unknown style 'tooon'; did you mean toon", Assert.Single(style.Error.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Contains("is the input folder", Assert.Single(same.Error.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("that this stylize did not make", Assert.Single(taken.Error.Trim().Split('\n')), StringComparison.Ordinal);
        Assert.True(overwritten.ExitCode == 0, overwritten.Error);
        Assert.False(Directory.Exists(cli.PathOf("out")), "work started before the failure");
    }

    private async Task<JsonElement> RunJsonAsync(int expectedExit, params string[] args)
    {
        var outcome = await cli.RunAsync(args);
        Assert.True(outcome.ExitCode == expectedExit, $"exit {outcome.ExitCode}: {outcome.Error}");
        return JsonDocument.Parse(outcome.Out).RootElement.Clone();
    }

    // Names "a.jpg" or "a.jpg:WxH" (default 64x48); the format follows the extension.
    private string MakeImages(string folder, params string[] names)
    {
        var root = cli.PathOf(folder);
        foreach (var spec in names)
        {
            var parts = spec.Split(':');
            var size = parts.Length > 1 ? parts[1].Split('x').Select(int.Parse).ToArray() : [64, 48];
            var path = Path.Combine(root, parts[0]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            MakeImage(path, size[0], size[1]);
        }

        return root;
    }

    private static void MakeImage(string path, int width, int height) =>
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", $"testsrc2=size={width + 1}x{height + 1},crop={width}:{height}:0:0", "-frames:v", "1", "-update", "1", "-y", path]);

    private string[] OutputNames(string folder)
    {
        var root = cli.PathOf(folder);
        return [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];
    }

    private static double MeanDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }
}
