using System.CommandLine;
using System.Text.Json;
using Rotoscope.Cli;
using Rotoscope.Cli.Commands;
using Rotoscope.Training;
using CliRunner = Rotoscope.Cli.Tests.Cli;

namespace Rotoscope.Training.Tests;

[Trait("Category", "Integration")]
public sealed class TrainCommandTrainingTests : IDisposable
{
    private readonly CliRunner cli = new();

    public TrainCommandTrainingTests() => cli.Variables[LibTorch.DirectoryVariable] = TrainingSetup.LibTorchDirectory;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Train_ResumesFromTheLastCheckpoint_AfterTheProcessIsKilled()
    {
        string[] args = ["train", TrainingSetup.StyleImage, "--name", "crash", "--steps", "30", "--size", "64", "--threads", "2", "--checkpoint-minutes", "0"];
        var state = Path.Combine(cli.DataDirectory, "training", "crash", "checkpoint", "state.json");
        using (var process = cli.Start(args, out _, out _))
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(state) && !process.HasExited && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
            }

            process.Kill();   // SIGKILL: no clean-up of any kind
            await process.WaitForExitAsync();
            Assert.True(File.Exists(state), "no checkpoint was written within a minute");
        }

        var resumed = await cli.RunAsync([.. args, "--json"]);

        Assert.True(resumed.ExitCode == 0, resumed.Error);
        var summary = JsonDocument.Parse(resumed.Out).RootElement;
        Assert.InRange(summary.GetProperty("resumedFrom").GetInt32(), 1, 29);
        Assert.Equal(30, summary.GetProperty("steps").GetInt32());
    }

    [Fact]
    public async Task Train_AddsAStyleThatRendersAndIsListed_WhenTrainingEnds()
    {
        var trained = await cli.RunAsync(
            "train", TrainingSetup.StyleImage, "--name", "tiny", "--steps", "3", "--size", "64", "--threads", "2", "--json",
            "--title", "Tiny glass", "--description", "Three steps of stained glass.", "--license", "CC0 (made by our tests)");

        Assert.True(trained.ExitCode == 0, trained.Error);
        var summary = JsonDocument.Parse(trained.Out).RootElement;
        Assert.Equal("tiny", summary.GetProperty("id").GetString());
        Assert.Equal("1.0.0", summary.GetProperty("version").GetString());
        Assert.Equal(3, summary.GetProperty("steps").GetInt32());

        var styles = await cli.RunAsync("styles", "--json");
        var listed = JsonDocument.Parse(styles.Out).RootElement.EnumerateArray().ToList();
        var tiny = Assert.Single(listed, s => s.GetProperty("id").GetString() == "tiny");
        Assert.Equal(("user", "Tiny glass", "Three steps of stained glass.", "CC0 (made by our tests)"), (tiny.GetProperty("origin").GetString(), tiny.GetProperty("title").GetString(), tiny.GetProperty("description").GetString(), tiny.GetProperty("license").GetString()));
        Assert.Contains(listed, s => s.GetProperty("id").GetString() == "mosaic" && s.GetProperty("origin").GetString() == "builtIn");

        var clip = cli.MakeClip("clip.mp4", 64, 48, 10, 0.5, audio: false);
        var rendered = await cli.RunAsync("render", clip, "--style", "tiny", "--json");
        Assert.True(rendered.ExitCode == 0, rendered.Error);
        var styled = cli.PathOf("clip.tiny.mp4");
        var before = CliRunner.FrameRgb(clip, 2);
        var after = CliRunner.FrameRgb(styled, 2);
        Assert.Equal(before.Length, after.Length);
        var meanDifference = before.Zip(after, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanDifference > 5, $"the style changed pixels by only {meanDifference:0.##} on average");

        var again = await cli.RunAsync("train", TrainingSetup.StyleImage, "--name", "tiny", "--steps", "3", "--size", "64", "--threads", "2");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already trained", again.Out, StringComparison.Ordinal);
    }
}

/// <summary>What <c>rotoscope train</c> refuses before LibTorch loads.</summary>
[Trait("Category", "Unit")]
public sealed class TrainCommandInputTrainingTests : IDisposable
{
    private readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    public static TheoryData<string> Examples() => new(TrainCommand.Examples);

    [Theory]
    [MemberData(nameof(Examples))]
    public void TrainExample_ParsesWithoutErrors_WhenTakenFromHelp(string example)
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>(), ErrorIsTerminal: false);
        var root = new RootCommand { TrainCommand.Create(context) };

        var parsed = root.Parse(example["rotoscope ".Length..]);

        Assert.Empty(parsed.Errors);
    }

    [Fact]
    public async Task Train_FailsWithOneLine_WhenTheNameIsABuiltInStyle()
    {
        var outcome = await cli.RunAsync("train", TrainingSetup.StyleImage, "--name", "mosaic");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("rotoscope: 'mosaic' is a built-in style; choose another --name", outcome.Error.Trim());
    }

    [Fact]
    public async Task Train_FailsWithOneLine_WhenTheStyleImageIsNotAnImage()
    {
        var notImage = cli.PathOf("notes.jpg");
        await File.WriteAllTextAsync(notImage, "not a picture");

        var outcome = await cli.RunAsync("train", notImage, "--name", "notes");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.Equal($"rotoscope: the style image {notImage} is not a JPEG or PNG image", outcome.Error.Trim());
    }

    [Fact]
    public async Task Train_NamesWhatIsMissing_WhenAskedForCudaWithTheCpuLibTorch()
    {
        var outcome = await cli.RunAsync("train", TrainingSetup.StyleImage, "--name", "gpu", "--device", "cuda");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Single(outcome.Error.Trim().Split('\n'));
        Assert.StartsWith("rotoscope: --device cuda needs a CUDA build of LibTorch in ", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("libtorch_cuda.so is missing", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(48, 300, "it needs at least 64 pixels a side")]
    [InlineData(12_000, 9_000, "scale it below 100 megapixels first")]
    public async Task Train_FailsWithOneLine_WhenTheStyleImageIsTooSmallOrHuge(int width, int height, string reason)
    {
        var image = cli.PathOf($"style-{width}.jpg");
        var pixels = new byte[width * height * 3];
        using (var codec = new Core.Imaging.ImageCodec())
        {
            await File.WriteAllBytesAsync(image, codec.Encode(pixels, width, height, Core.Imaging.ImageFormat.Jpeg));
        }

        var outcome = await cli.RunAsync("train", image, "--name", "sized");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"rotoscope: the style image {image} is {width}x{height}; {reason}", outcome.Error.Trim());
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "training")), "a run folder was made for a refused image");
    }

    [Theory]
    [InlineData("Harbour")]
    [InlineData("-x")]
    [InlineData("a/b")]
    public async Task Train_FailsWithOneLine_WhenTheNameIsNotAnId(string name)
    {
        var outcome = await cli.RunAsync("train", TrainingSetup.StyleImage, "--name", name);

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith($"rotoscope: '{name}' is not a style name", outcome.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--size", "30")]
    [InlineData("--size", "66")]
    [InlineData("--steps", "0")]
    [InlineData("--strength-of-style", "0")]
    public async Task Train_FailsWithOneLine_WhenASettingIsOutOfRange(string option, string value)
    {
        var outcome = await cli.RunAsync("train", TrainingSetup.StyleImage, "--name", "x", option, value);

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith($"rotoscope: {option} must", outcome.Error, StringComparison.Ordinal);
    }
}
