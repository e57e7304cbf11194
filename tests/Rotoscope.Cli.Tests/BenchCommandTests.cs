using System.Diagnostics;
using System.Text.Json;

namespace Rotoscope.Cli.Tests;

[Trait("Category", "Integration")]
public sealed class BenchCommandTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Bench_Renders4KInUnderOneGiB_WithDefaultTiling()
    {
        // Its own process: the peak memory of the test host would say nothing about one render's.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "rotoscope.dll"), "bench", "--style", "mosaic", "--size", "3840x2160", "--seconds", "0.2", "--fps", "10", "--json" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in cli.Environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, await stderr);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(2, result.GetProperty("frames").GetInt64());
        var peak = result.GetProperty("peakMemoryBytes").GetInt64();
        Assert.True(peak < 1L << 30, $"peak memory {peak / (1024 * 1024)} MiB rendering 4K");
    }
}
