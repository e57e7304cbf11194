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
        Assert.False(File.Exists(cli.PathOf("long.mosaic+mosaic.mp4")));

        var second = await cli.RunAsync(args);

        Assert.True(second.ExitCode == 0, second.Error);
        var summary = JsonDocument.Parse(second.Out).RootElement;
        Assert.True(summary.GetProperty("framesReused").GetInt64() >= done * 4, $"only {summary.GetProperty("framesReused")} frames reused of {done * 4}");
        Assert.Equal(96, Cli.Probe(cli.PathOf("long.mosaic+mosaic.mp4")).Frames);
    }

    private static int CountMarkers(string renders) =>
        Directory.Exists(renders) ? Directory.EnumerateFiles(renders, "*.done", SearchOption.AllDirectories).Count() : 0;

    private Process StartCli(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rotoscope.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in cli.Environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEndAsync();
        return process;
    }
}
