using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope bench</c>: measure end-to-end render time against pure inference time, in one run.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var style = new Option<string>("--style", "-s") { Description = "Style to benchmark.", DefaultValueFactory = _ => "mosaic" };
        var size = new Option<string>("--size") { Description = "Frame size of the generated clip, WIDTHxHEIGHT.", DefaultValueFactory = _ => "640x360" };
        var seconds = new Option<double>("--seconds") { Description = "Length of the generated clip.", DefaultValueFactory = _ => 4 };
        var fps = new Option<Rational?>("--fps") { Description = "Frame rate of the generated clip (default 30).", CustomParser = CommandOptions.ParseRate };
        var device = CommandOptions.Device();
        var threads = CommandOptions.Threads();
        var tile = CommandOptions.Tile();
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var command = new Command("bench", "Render a generated clip and report pipeline efficiency (pure inference time / end-to-end time).")
        {
            style, size, seconds, fps, device, threads, tile, json,
        };
        size.Validators.Add(r =>
        {
            if (ParseSize(r.GetValueOrDefault<string>()) is null)
            {
                r.AddError("--size must look like 640x360 (each side 16..7680)");
            }
        });
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<double>() is <= 0 or > 600) { r.AddError("--seconds must be in (0, 600]"); } });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, dataDirectory: null) with
            {
                Inference = new InferenceOptions(parse.GetValue(device), parse.GetValue(threads), parse.GetValue(tile)),
            };
            var (width, height) = ParseSize(parse.GetValue(size)!)!.Value;
            var spec = new BenchmarkSpec(parse.GetValue(style)!, width, height, parse.GetValue(fps) ?? new Rational(30, 1), parse.GetValue(seconds));
            if (!parse.GetValue(json))
            {
                await context.Error.WriteLineAsync($"benchmarking '{spec.Style}' on a {spec.Seconds:0.##} s {width}x{height} clip at {spec.Fps} fps…").ConfigureAwait(false);
            }

            var result = await RenderBenchmark.RunAsync(options, spec, RenderLocally, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(result, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            var stages = string.Join(", ", result.StageSeconds.Select(s => $"{s.Key} {s.Value:0.00} s"));
            await context.Out.WriteLineAsync($"""
                style            {result.Style} at {result.Width}x{result.Height}, {result.Frames} frames, {result.ProcessorCount} cores
                end to end       {result.EndToEndSeconds:0.00} s ({result.FramesPerSecond:0.0} frames/s)
                pure inference   {result.InferenceSeconds:0.00} s ({result.InferenceFramesPerSecond:0.0} frames/s); {result.InferenceInRenderSeconds:0.00} s inside the render
                efficiency       {result.Efficiency:0.000} (inference / end to end)
                stages           {stages}
                peak memory      {result.PeakMemoryBytes / (1024.0 * 1024):0} MiB
                model start      {result.ModelStartSeconds * 1000:0} ms per worker (warm sessions); a batch's steady inference takes {result.SteadyBatchSeconds * 1000:0} ms
                """).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static async Task<RenderResult> RenderLocally(RotoscopeOptions options, RenderRequest request, Func<PreparedRender, CancellationToken, Task<RenderResult>> follow, CancellationToken cancellationToken) =>
        (await LocalRenderer.RenderAsync(options, request, follow, notice: null, cancellationToken).ConfigureAwait(false)).Result;

    private static (int Width, int Height)? ParseSize(string? text)
    {
        var parts = text?.Split('x');
        return parts is [var w, var h] && int.TryParse(w, out var width) && int.TryParse(h, out var height) && width is >= 16 and <= 7680 && height is >= 16 and <= 7680
            ? (width, height)
            : null;
    }
}
