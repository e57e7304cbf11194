using System.Diagnostics;
using System.Text.Json;

namespace Rotoscope.Cli.Tests;

/// <summary>A render killed with SIGKILL mid-way and run again finishes without redoing finished batches.</summary>
[Trait("Category", "Integration")]
public sealed class ResumeTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Render_ResumesFinishedBatches_WhenRerunAfterKill()
    {
        var input = cli.MakeClip("long.mp4", 320, 192, 12, 8);
        string[] args = ["render", input, "--style", "mosaic|mosaic", "--batch-size", "4", "--json"];

        using (var first = StartCli(args))
        {
            var batches = Path.Combine(cli.DataDirectory, "renders");
            var deadline = Stopwatch.StartNew();
            while (CountMarkers(batches) < 3 && !first.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(3))
            {
                await Task.Delay(50);
            }

            Assert.False(first.HasExited, "the render finished before it could be killed; make the clip longer");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        var done = CountMarkers(Path.Combine(cli.DataDirectory, "renders"));
        Assert.InRange(done, 3, 23);
        Assert.False(File.Exists(cli.PathOf("long.mosaic_mosaic.mp4")));

        var second = await cli.RunAsync(args);

        Assert.True(second.ExitCode == 0, second.Error);
        var summary = JsonDocument.Parse(second.Out).RootElement;
        Assert.True(summary.GetProperty("framesReused").GetInt64() >= done * 4, $"only {summary.GetProperty("framesReused")} frames reused of {done * 4}");
        Assert.Equal(96, Cli.Probe(cli.PathOf("long.mosaic_mosaic.mp4")).Frames);
    }

    [Fact]
    public async Task Render_StopsCleanlyWithOneLine_WhenInterrupted()
    {
        var input = cli.MakeClip("interrupted.mp4", 320, 192, 12, 8);
        using var process = StartCli(["render", input, "--style", "mosaic|mosaic", "--batch-size", "4"], out var stderr);
        var deadline = Stopwatch.StartNew();
        while (CountMarkers(Path.Combine(cli.DataDirectory, "renders")) < 1 && !process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(50);
        }

        Assert.False(process.HasExited, "the render finished before it could be interrupted");
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await process.WaitForExitAsync();
        Assert.Equal(1, process.ExitCode);
        var line = Assert.Single((await stderr).Trim().Split('\n'));
        Assert.Contains("cancelled; run the same command again to resume", line, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.PathOf("interrupted.mosaic_mosaic.mp4")));
        Assert.Empty(Directory.EnumerateFiles(cli.Root, "*.partial", SearchOption.AllDirectories));
    }

    // Batch markers: renders/<id>/batches/<first>-<last>.json, written when a batch is styled.
    private static int CountMarkers(string renders) =>
        Directory.Exists(renders)
            ? Directory.EnumerateFiles(renders, "*.json", SearchOption.AllDirectories).Count(f => Path.GetFileName(Path.GetDirectoryName(f)) == "batches")
            : 0;

    private Process StartCli(string[] args) => cli.Start(args, out _, out _);

    private Process StartCli(string[] args, out Task<string> stderr) => cli.Start(args, out _, out stderr);
}
