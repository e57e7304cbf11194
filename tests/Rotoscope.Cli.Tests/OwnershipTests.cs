using System.Diagnostics;
using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary>One writer per output: concurrent commands, as two real processes, never write the same file twice.</summary>
[Trait("Category", "Integration")]
public sealed class OwnershipTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_WaitsAndReusesTheResult_WhenTheSameRenderIsRunning()
    {
        var input = cli.MakeClip("same.mp4", 320, 192, 12, 4);
        var output = cli.PathOf("same.out.mp4");
        string[] args = ["render", input, "--style", "mosaic", "--output", output, "--batch-size", "4", "--json"];

        using var first = cli.Start(args, out var firstOut, out var firstError);
        await WaitForPlanAsync(first);
        using var second = cli.Start(args, out var secondOut, out var secondError);
        await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync());

        Assert.True(first.ExitCode == 0, await firstError);
        Assert.True(second.ExitCode == 0, await secondError);
        var firstSummary = JsonDocument.Parse(await firstOut).RootElement;
        var secondSummary = JsonDocument.Parse(await secondOut).RootElement;
        Assert.False(firstSummary.GetProperty("alreadyRendered").GetBoolean());
        Assert.True(secondSummary.GetProperty("alreadyRendered").GetBoolean());
        Assert.Equal(firstSummary.GetProperty("outputSha256").GetString(), secondSummary.GetProperty("outputSha256").GetString());
        var facts = Cli.Probe(output);
        Assert.Equal((48, 320, 192, true), (facts.Frames, facts.Width, facts.Height, facts.HasAudio));
        Assert.Empty(Directory.EnumerateFiles(cli.Root, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Render_FailsAtOnceNamingTheRunningRender_WhenAnotherRenderWritesTheSameOutput()
    {
        var input = cli.MakeClip("busy.mp4", 320, 192, 12, 4);
        var output = cli.PathOf("busy.out.mp4");

        using var first = cli.Start(["render", input, "--style", "mosaic", "--output", output, "--batch-size", "4", "--json"], out var firstOut, out var firstError);
        var renderId = await WaitForPlanAsync(first);
        var second = await cli.RunAsync("render", input, "--style", "toon", "--output", output);
        var firstWasRunning = !first.HasExited;
        await first.WaitForExitAsync();

        Assert.Equal(1, second.ExitCode);
        var line = Assert.Single(second.Error.Trim().Split('\n'));
        Assert.Contains($"{output} is being written by another render ({renderId}, process {first.Id})", line, StringComparison.Ordinal);
        Assert.True(firstWasRunning, "the second render waited for the first instead of failing at once");
        Assert.True(first.ExitCode == 0, await firstError);
        Assert.Equal(48, Cli.Probe(output).Frames);
        Assert.Equal(JsonDocument.Parse(await firstOut).RootElement.GetProperty("outputSha256").GetString(), Sha256(output));
    }

    // The plan is written once the render owns its output; its folder name is the render id.
    private async Task<string> WaitForPlanAsync(Process owner)
    {
        var renders = Path.Combine(cli.DataDirectory, "renders");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            var plan = Directory.Exists(renders) ? Directory.EnumerateFiles(renders, "plan.json", SearchOption.AllDirectories).FirstOrDefault() : null;
            if (plan is not null)
            {
                Assert.False(owner.HasExited, "the first render finished before the second started; make the clip longer");
                return Path.GetFileName(Path.GetDirectoryName(plan)!);
            }

            Assert.False(owner.HasExited, "the first render ended before planning");
            await Task.Delay(20);
        }

        throw new TimeoutException("the first render never planned");
    }

    internal static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
