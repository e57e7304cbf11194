namespace Rotoscope.Cli.Tests;

/// <summary>Every bad input ends in exit code 1 (2 for usage), one clear line on stderr, and no output file.</summary>
[Trait("Category", "Integration")]
public sealed class BadInputTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_FailsClearly_WhenInputIsMissing() =>
        await AssertFailsAsync(["render", cli.PathOf("nope.mp4"), "--style", "toon"], "input not found");

    [Fact]
    public async Task Render_FailsClearly_WhenInputIsEmpty()
    {
        var input = cli.PathOf("empty.mp4");
        await File.WriteAllBytesAsync(input, []);
        await AssertFailsAsync(["render", input, "--style", "toon"], "empty.mp4");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenInputIsTruncated()
    {
        var whole = cli.MakeClip("whole.mp4", 160, 96, 24, 2);
        var input = cli.PathOf("truncated.mp4");
        await File.WriteAllBytesAsync(input, (await File.ReadAllBytesAsync(whole))[..2048]);
        await AssertFailsAsync(["render", input, "--style", "toon"], "truncated.mp4");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenInputHasOnlyAudio()
    {
        var input = cli.PathOf("voice.m4a");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "aac", "-y", input]);
        await AssertFailsAsync(["render", input, "--style", "toon"], "no video stream");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenInputIsStillImage()
    {
        var input = cli.PathOf("photo.png");
        Cli.Ffmpeg("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", "-y", input]);
        await AssertFailsAsync(["render", input, "--style", "toon"], "still image");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenInputIsText()
    {
        var input = cli.PathOf("notes.txt");
        await File.WriteAllTextAsync(input, "this is not a video\n");
        await AssertFailsAsync(["render", input, "--style", "toon"], "notes.txt");
    }

    [Fact]
    public async Task Render_FailsBeforeWork_WhenOutputDirectoryIsUnwritable()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);

        // Tests may run as root, where permission bits do not stop writes; a file where a directory must be always does.
        var blocker = cli.PathOf("blocker");
        await File.WriteAllTextAsync(blocker, "");

        await AssertFailsAsync(["render", input, "--style", "toon", "--output", Path.Combine(blocker, "out.mp4")], $"cannot write to {blocker}: it is a file, not a folder");
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "frames")), "work started before the output was checked");
    }

    [Fact]
    public async Task Render_SaysWhyWithoutInternalNames_WhenOutputFolderTakesNoFiles()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);

        var line = await AssertFailsAsync(["render", input, "--style", "toon", "--output", "/proc/out.mp4"], "cannot write to /proc: ");

        Assert.DoesNotContain("rotoscope-write-test", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ListsNearMatches_WhenStyleIsUnknown()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);
        await AssertFailsAsync(["render", input, "--style", "tooon"], "unknown style 'tooon'; did you mean toon");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenModelIsCorrupt()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);
        var model = cli.PathOf("broken.onnx");
        await File.WriteAllTextAsync(model, "definitely not protobuf");
        await AssertFailsAsync(["render", input, "--style", model, "--output", cli.PathOf("fresh/out.mp4")], "could not be loaded");
        Assert.False(Directory.Exists(cli.PathOf("fresh")), "a failed render left the output folder it would have made");
    }

    [Fact]
    public async Task Render_RefusesToOverwriteInput_WhenDataOutputIsTheInput()
    {
        var clip = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);
        Directory.CreateDirectory(Path.Combine(cli.DataDirectory, "videos"));
        File.Copy(clip, Path.Combine(cli.DataDirectory, "videos", "ok.mp4"));

        await AssertFailsAsync(["render", "data://videos/ok.mp4", "--style", "toon", "--output", "data://videos/ok.mp4"], "output would overwrite the input");
        Assert.Equal(await File.ReadAllBytesAsync(clip), await File.ReadAllBytesAsync(Path.Combine(cli.DataDirectory, "videos", "ok.mp4")));
    }

    [Fact]
    public async Task Render_FailsClearly_WhenCudaIsRequestedWithoutGpuBuild()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);
        await AssertFailsAsync(["render", input, "--style", "toon", "--device", "cuda"], "CUDA was requested but the CUDA execution provider is unavailable");
    }

    [Fact]
    public async Task Render_FailsClearly_WhenModelInputIsNotRgb()
    {
        var input = cli.MakeClip("ok.mp4", 64, 48, 10, 0.3);
        await AssertFailsAsync(["render", input, "--style", Cli.RepoPath("tests", "fixtures", "models", "gray_input.onnx")], "is not a style model");
    }

    [Theory]
    [InlineData("--fps", "fast")]
    [InlineData("--batch-size", "0")]
    public async Task Render_ExitsWithUsageError_WhenOptionIsInvalid(string option, string value)
    {
        var outcome = await cli.RunAsync("render", cli.PathOf("x.mp4"), "--style", "toon", option, value);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Single(outcome.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Render_ExitsWithUsageError_WhenStyleIsMissing()
    {
        var outcome = await cli.RunAsync("render", cli.PathOf("x.mp4"));
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("--style", outcome.Error, StringComparison.Ordinal);
    }

    private async Task<string> AssertFailsAsync(string[] args, string expected)
    {
        var before = Directory.EnumerateFiles(cli.Root, "*.mp4", SearchOption.AllDirectories).Order().ToList();
        var outcome = await cli.RunAsync(args);

        Assert.Equal(1, outcome.ExitCode);
        var line = Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.StartsWith("rotoscope: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(before, Directory.EnumerateFiles(cli.Root, "*.mp4", SearchOption.AllDirectories).Order().ToList());
        Assert.Empty(Directory.EnumerateFiles(cli.Root, "*.partial", SearchOption.AllDirectories));
        return line;
    }
}
