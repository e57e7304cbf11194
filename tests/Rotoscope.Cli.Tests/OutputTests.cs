using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary>Outputs are never clobbered by surprise: the same render is recognised, anything else needs --overwrite.</summary>
[Trait("Category", "Integration")]
public sealed class OutputTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_ReportsAlreadyRenderedWithoutWork_WhenOutputIsThisRendersResult()
    {
        var input = cli.MakeClip("again.mp4", 64, 48, 10, 1);
        var output = cli.PathOf("again.toon.mp4");
        var first = await cli.RunAsync("render", input, "--style", "toon");
        Assert.True(first.ExitCode == 0, first.Error);
        var written = File.GetLastWriteTimeUtc(output);

        var again = await cli.RunAsync("render", input, "--style", "toon");
        var json = await cli.RunAsync("render", input, "--style", "toon", "--json");

        Assert.True(again.ExitCode == 0, again.Error);
        Assert.StartsWith($"{output}: already rendered", again.Out.Trim().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(output));
        var summary = JsonDocument.Parse(json.Out).RootElement;
        Assert.True(summary.GetProperty("alreadyRendered").GetBoolean());
        Assert.Equal(OwnershipTests.Sha256(output), summary.GetProperty("outputSha256").GetString());
    }

    [Fact]
    public async Task Render_RefusesWithOneLine_WhenOutputExistsAndIsSomethingElse()
    {
        var input = cli.MakeClip("mine.mp4", 64, 48, 10, 1);
        var output = cli.PathOf("precious.mp4");
        await File.WriteAllTextAsync(output, "someone's work");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", output);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"rotoscope: {output} already exists and is not this render's result; pass --overwrite to replace it", outcome.Error.Trim());
        Assert.Equal("someone's work", await File.ReadAllTextAsync(output));
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "frames")), "work started before the output was checked");
    }

    [Fact]
    public async Task Render_ReplacesTheOutput_WhenOverwriteIsGiven()
    {
        var input = cli.MakeClip("mine.mp4", 64, 48, 10, 1);
        var output = cli.PathOf("replace.mp4");
        await File.WriteAllTextAsync(output, "old");

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", output, "--overwrite");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Equal(10, Cli.Probe(output).Frames);
    }

    [Fact]
    public async Task Render_RefusesAnotherStylesOutput_WhenRenderedOverIt()
    {
        var input = cli.MakeClip("two.mp4", 64, 48, 10, 1);
        var output = cli.PathOf("shared.mp4");
        Assert.Equal(0, (await cli.RunAsync("render", input, "--style", "toon", "--output", output)).ExitCode);

        var other = await cli.RunAsync("render", input, "--style", "ink", "--output", output);

        Assert.Equal(1, other.ExitCode);
        Assert.Contains("already exists and is not this render's result", other.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frames")]
    [InlineData("styled")]
    [InlineData("renders")]
    [InlineData("locks")]
    public async Task Render_RefusesOutputInTheStoresOwnAreas(string area)
    {
        var input = cli.MakeClip("in.mp4", 64, 48, 10, 0.5);

        var outcome = await cli.RunAsync("render", input, "--style", "toon", "--output", $"data://{area}/x.mp4");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains($"data://{area}/ is where Rotoscope keeps its own work", outcome.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.DataDirectory, area, "x.mp4")));
    }
}
