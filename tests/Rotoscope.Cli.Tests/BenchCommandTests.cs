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

    [Fact]
    public async Task Bench_SaysWhereTheModelsRanAndWhy_WithDeviceAutoOnACpuBuild()
    {
        var json = await cli.RunAsync("bench", "--style", "toon", "--size", "64x48", "--seconds", "0.2", "--fps", "10", "--device", "auto", "--json");
        var plain = await cli.RunAsync("bench", "--style", "toon", "--size", "64x48", "--seconds", "0.2", "--fps", "10", "--device", "auto");

        Assert.True(json.ExitCode == 0, json.Error);
        var result = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("cpu", result.GetProperty("device").GetString());
        Assert.Contains("CPU-only ONNX Runtime", result.GetProperty("deviceNote").GetString(), StringComparison.Ordinal);
        // GPU memory is a CUDA figure: not measured, and not explained away, when the models ran on the CPU.
        Assert.Equal(JsonValueKind.Null, result.GetProperty("gpuMemory").ValueKind);
        Assert.Equal(JsonValueKind.Null, result.GetProperty("gpuMemoryNote").ValueKind);
        // Whether the models waited for frame work: a share of the stylizing stage, as on a GPU.
        Assert.InRange(result.GetProperty("modelBusy").GetDouble(), 0.001, 1);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Contains("model busy       ", plain.Out, StringComparison.Ordinal);
        Assert.Contains("device           cpu; --device auto: CUDA execution provider unavailable (this build has the CPU-only ONNX Runtime", plain.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchFlicker_ReportsFiniteFiguresPerStyle_OnAShortClipWithANeuralStyleAndFilters()
    {
        var outcome = await cli.RunAsync("bench", "--flicker", "--style", "mosaic,toon,halftone", "--frames", "4", "--size", "96x64", "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var result = JsonDocument.Parse(outcome.Out).RootElement;
        Assert.Equal(96, result.GetProperty("width").GetInt32());
        Assert.Equal(4, result.GetProperty("frames").GetInt32());
        Assert.EndsWith("coffee.jpg", result.GetProperty("frame").GetString(), StringComparison.Ordinal);
        var styles = result.GetProperty("styles").EnumerateArray().ToDictionary(s => s.GetProperty("style").GetString()!);
        Assert.Equal(["mosaic", "toon", "halftone"], styles.Keys);
        foreach (var (id, style) in styles)
        {
            foreach (var name in new[] { "panRatio", "noiseRatio", "detail", "inputDetail", "panChange", "inputPanChange", "noiseChange", "inputNoiseChange" })
            {
                var value = style.GetProperty(name).GetDouble();
                Assert.True(double.IsFinite(value) && value > 0, $"{id}: {name} = {value}");
            }

            // The input's motion-compensated change is its sensor noise (sigma 2: about 2.3), the same for every style.
            Assert.InRange(style.GetProperty("inputPanChange").GetDouble(), 1.8, 2.8);
            Assert.Equal(styles["mosaic"].GetProperty("inputDetail").GetDouble(), style.GetProperty("inputDetail").GetDouble());
        }

        Assert.Equal("neural", styles["mosaic"].GetProperty("kind").GetString());
        Assert.InRange(styles["mosaic"].GetProperty("panRatio").GetDouble(), 0.2, 10);
        Assert.InRange(styles["toon"].GetProperty("panRatio").GetDouble(), 0.1, 1.5);
        // Halftone's dot screen is fixed to the pixel grid: under a pan it cannot move with the scene.
        Assert.True(styles["halftone"].GetProperty("panRatio").GetDouble() > 5, "halftone's screen moved with the scene");
        Assert.True(styles["halftone"].GetProperty("noiseRatio").GetDouble() < 1.5, "halftone amplified static noise");
        // Mosaic repaints the frame: its detail is its own, not the input's.
        Assert.NotEqual(styles["mosaic"].GetProperty("inputDetail").GetDouble(), styles["mosaic"].GetProperty("detail").GetDouble());
    }

    [Fact]
    public async Task BenchFlicker_MeasuresTheAdjustedStyle_WithStrengthAndKeepColors()
    {
        var none = await cli.RunAsync("bench", "--flicker", "--style", "mosaic", "--strength", "0", "--frames", "3", "--size", "96x64", "--json");
        var plain = await cli.RunAsync("bench", "--flicker", "--style", "mosaic", "--frames", "3", "--size", "96x64", "--json");
        var keep = await cli.RunAsync("bench", "--flicker", "--style", "mosaic", "--keep-colors", "--frames", "3", "--size", "96x64", "--json");

        foreach (var outcome in new[] { none, plain, keep })
        {
            Assert.True(outcome.ExitCode == 0, outcome.Error);
        }

        static JsonElement Row(string json) => JsonDocument.Parse(json).RootElement.GetProperty("styles")[0];
        // At strength 0 none of the style reaches the frames: they are the input, so both ratios are 1 and the detail is the input's.
        Assert.Equal("mosaic (strength 0)", Row(none.Out).GetProperty("style").GetString());
        Assert.Equal(1.0, Row(none.Out).GetProperty("panRatio").GetDouble());
        Assert.Equal(1.0, Row(none.Out).GetProperty("noiseRatio").GetDouble());
        Assert.Equal(Row(none.Out).GetProperty("inputDetail").GetDouble(), Row(none.Out).GetProperty("detail").GetDouble());
        // Keeping the input's colours keeps its chroma noise too: that style flickers more than the plain one.
        Assert.Equal("mosaic (original colours)", Row(keep.Out).GetProperty("style").GetString());
        Assert.True(Row(keep.Out).GetProperty("noiseRatio").GetDouble() > Row(plain.Out).GetProperty("noiseRatio").GetDouble(), keep.Out);
    }

    [Fact]
    public async Task BenchFlicker_PrintsATable_WhenRunPlain()
    {
        var outcome = await cli.RunAsync("bench", "--flicker", "--style", "toon|ink", "--frames", "3", "--size", "64x48");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Contains("pan ratio", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("noise ratio", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("input detail", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("toon|ink", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("filter|filter", outcome.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchFlicker_FailsWithOneLine_OnUsageErrorsAndABadFrame()
    {
        var notImage = cli.PathOf("frame.png");
        await File.WriteAllTextAsync(notImage, "text");

        var seconds = await cli.RunAsync("bench", "--flicker", "--seconds", "2");
        var tooSmall = await cli.RunAsync("bench", "--flicker", "--size", "20x20");
        var noFlicker = await cli.RunAsync("bench", "--frames", "4");
        var broken = await cli.RunAsync("bench", "--flicker", "--style", "toon", "--frame", notImage);
        var unknown = await cli.RunAsync("bench", "--flicker", "--style", "toon,toom");

        Assert.Equal((2, "rotoscope: --seconds and --fps are for the render benchmark; --flicker takes --frames (see 'rotoscope --help')"), (seconds.ExitCode, seconds.Error.Trim()));
        Assert.Equal(2, tooSmall.ExitCode);
        Assert.Contains("20x20 window leaves too little", tooSmall.Error, StringComparison.Ordinal);
        Assert.Equal((2, "rotoscope: --frame, --frames, --strength and --keep-colors need --flicker (see 'rotoscope --help')"), (noFlicker.ExitCode, noFlicker.Error.Trim()));
        Assert.Equal((1, $"rotoscope: the frame {notImage} is not a JPEG or PNG image"), (broken.ExitCode, broken.Error.Trim()));
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("rotoscope: unknown style 'toom'", unknown.Error.Trim(), StringComparison.Ordinal);
    }
}
