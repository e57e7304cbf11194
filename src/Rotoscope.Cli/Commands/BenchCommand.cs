using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope bench</c>: measure end-to-end render time against pure inference time, in one run; with
/// <c>--flicker</c>, how much styles flicker on generated clips with known motion (<see cref="FlickerMeter"/>).
/// </summary>
internal static class BenchCommand
{
    /// <summary>Examples shown in the help (a test parses each).</summary>
    public static readonly string[] Examples =
    [
        "rotoscope bench --style mosaic --size 640x360",
        "rotoscope bench --flicker --style all",
        "rotoscope bench --flicker --style mosaic,toon --frame photo.jpg --frames 24 --json",
        "rotoscope bench --flicker --style brush,mosaic --strength 0.5 --keep-colors",
    ];

    private const string FlickerSize = "320x180";

    public static Command Create(CliContext context)
    {
        var style = new Option<string>("--style", "-s")
        {
            Description = "Style to benchmark; with --flicker, a comma-separated list of styles (or chains), or 'all' for every style in the catalog.",
            DefaultValueFactory = _ => "mosaic",
        };
        var size = new Option<string>("--size") { Description = $"Frame size of the generated clip, WIDTHxHEIGHT (default 640x360; with --flicker, the window: {FlickerSize}).", DefaultValueFactory = _ => "640x360" };
        var seconds = new Option<double>("--seconds") { Description = "Length of the generated clip.", DefaultValueFactory = _ => 4 };
        var fps = new Option<Rational?>("--fps") { Description = "Frame rate of the generated clip (default 30).", CustomParser = CommandOptions.ParseRate };
        var flicker = new Option<bool>("--flicker")
        {
            Description = "Measure flicker instead: a slow pan and a static camera, made from one photo with sensor noise, through each style; reports the pan ratio, the noise ratio and the detail kept.",
        };
        var frame = new Option<string?>("--frame") { Description = "With --flicker: the photo (JPEG or PNG) the clips are made from (default: models/content/coffee.jpg)." };
        var frames = new Option<int>("--frames") { Description = "With --flicker: frames in each clip.", DefaultValueFactory = _ => new FlickerSpec().Frames };
        var strength = CommandOptions.Strength();
        strength.Description = "With --flicker: " + strength.Description;
        var keepColors = CommandOptions.KeepColors();
        keepColors.Description = "With --flicker: " + keepColors.Description;
        var device = CommandOptions.Device();
        var threads = CommandOptions.Threads();
        var tile = CommandOptions.Tile();
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var command = new Command("bench", $"Render a generated clip and report pipeline efficiency (pure inference time / end-to-end time), or with --flicker how much styles flicker.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            style, size, seconds, fps, flicker, frame, frames, strength, keepColors, device, threads, tile, json,
        };
        size.Validators.Add(r =>
        {
            if (ParseSize(r.GetValueOrDefault<string>()) is null)
            {
                r.AddError("--size must look like 640x360 (each side 16..7680)");
            }
        });
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<double>() is <= 0 or > 600) { r.AddError("--seconds must be in (0, 600]"); } });
        frames.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 2 or > 1000) { r.AddError("--frames must be in 2..1000"); } });
        command.Validators.Add(r =>
        {
            // Given on the command line, not defaulted (a command's validator sees no defaults: GetValue gives 0 or null).
            static bool Given(Option option, System.CommandLine.Parsing.CommandResult result) => result.GetResult(option) is { Implicit: false };
            if (r.GetValue(flicker))
            {
                if (Given(seconds, r) || Given(fps, r))
                {
                    r.AddError("--seconds and --fps are for the render benchmark; --flicker takes --frames");
                }
                else if (FlickerSpecOf(Given(size, r) ? ParseSize(r.GetValue(size)) : null, Given(frames, r) ? r.GetValue(frames) : new FlickerSpec().Frames).Problem is { } problem)
                {
                    r.AddError($"--flicker: {problem}");
                }
            }
            else if (Given(frame, r) || Given(frames, r) || Given(strength, r) || Given(keepColors, r))
            {
                r.AddError("--frame, --frames, --strength and --keep-colors need --flicker");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, dataDirectory: null) with
            {
                Inference = new InferenceOptions(parse.GetValue(device), parse.GetValue(threads), parse.GetValue(tile)),
            };
            if (parse.GetValue(flicker))
            {
                var given = parse.GetResult(size) is { Implicit: false } ? ParseSize(parse.GetValue(size)) : null;
                var adjustment = CommandOptions.Adjustment(parse, strength, keepColors);
                return await FlickerAsync(context, options, FlickerSpecOf(given, parse.GetValue(frames)), parse.GetValue(style)!, adjustment, parse.GetValue(frame), parse.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

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
                device           {DescribeDevice(result)}
                end to end       {result.EndToEndSeconds:0.00} s ({result.FramesPerSecond:0.0} frames/s)
                pure inference   {result.InferenceSeconds:0.00} s ({result.InferenceFramesPerSecond:0.0} frames/s); {result.InferenceInRenderSeconds:0.00} s inside the render
                efficiency       {result.Efficiency:0.000} (inference / end to end)
                model busy       {result.ModelBusy:0.000} of the stylizing stage (below 1: the model waited for frame work)
                stages           {stages}
                peak memory      {result.PeakMemoryBytes / (1024.0 * 1024):0} MiB
                model start      {result.ModelStartSeconds * 1000:0} ms per worker (warm sessions); a batch's steady inference takes {result.SteadyBatchSeconds * 1000:0} ms
                """).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static string DescribeDevice(BenchmarkResult result)
    {
        const double MiB = 1024.0 * 1024;
        var device = (result.Device, result.GpuMemory) switch
        {
            (InferenceDevice.Cuda, { } gpu) => $"cuda, {gpu.Name}: peak {gpu.PeakBytes / MiB:0} MiB of its {gpu.TotalBytes / MiB:0} MiB in use ({gpu.BeforeBytes / MiB:0} MiB before the bench)",
            (InferenceDevice.Cuda, null) => $"cuda (GPU memory not measured: {result.GpuMemoryNote})",
            _ => "cpu",
        };
        return result.DeviceNote is null ? device : $"{device}; --device auto: {result.DeviceNote}";
    }

    /// <summary>Figures of one style in <c>bench --flicker</c>, as <c>--json</c> prints them.</summary>
    internal sealed record FlickerRow(string Style, string Kind, double PanRatio, double NoiseRatio, double Detail, double InputDetail, double PanChange, double InputPanChange, double NoiseChange, double InputNoiseChange, double Seconds);

    private static FlickerSpec FlickerSpecOf((int Width, int Height)? size, int frames)
    {
        var (width, height) = size ?? ParseSize(FlickerSize)!.Value;
        return new FlickerSpec { Width = width, Height = height, Frames = frames };
    }

    private static async Task<int> FlickerAsync(CliContext context, RotoscopeOptions options, FlickerSpec spec, string styles, StyleAdjustment adjustment, string? framePath, bool json, CancellationToken cancellationToken)
    {
        var catalog = StyleCatalog.Load(options.ModelsDirectory, UserStyles.DirectoryOf(options.DataDirectory));
        var data = new LocalBlobStore(options.DataDirectory);
        var references = styles.Trim() == "all"
            ? catalog.Styles.Select(s => s.Id).Distinct(StringComparer.Ordinal).ToList()
            : styles.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (references.Count == 0)
        {
            throw new RotoscopeException("--style names no style");
        }

        // The adjustment applies to every style measured, as a render's does to its chain; the rows' names show it.
        var chains = references.Select(r => catalog.Resolve(r, data.ModelPathOf) with { Adjustment = adjustment }).ToList();
        chains.ForEach(StyleCatalog.Verify);

        framePath ??= Path.Combine(options.ModelsDirectory, "content", "coffee.jpg");
        FlickerClips clips;
        using (var photo = ReadPhoto(framePath))
        {
            clips = FlickerMeter.MakeClips(photo, spec);
        }

        if (!json)
        {
            await context.Error.WriteLineAsync($"measuring flicker of {chains.Count} style(s) on a {spec.Width}x{spec.Height} window of {Path.GetFileName(framePath)}, {spec.Frames} frames a clip…").ConfigureAwait(false);
        }

        using var runner = new StyleRunner(options.Inference);
        var rows = new List<FlickerRow>();
        foreach (var chain in chains)
        {
            var clock = Stopwatch.StartNew();
            var figures = await FlickerMeter.MeasureAsync(clips, FlickerMeter.PerFrame(runner, chain), cancellationToken).ConfigureAwait(false);
            rows.Add(new FlickerRow(
                chain.Adjustment.Describe(chain.Name), string.Join('|', chain.Models.Select(m => m.Kind.ToString().ToLowerInvariant())),
                Math.Round(figures.PanRatio, 3), Math.Round(figures.NoiseRatio, 3), Math.Round(figures.Detail, 3), Math.Round(figures.InputDetail, 3),
                Math.Round(figures.PanChange, 3), Math.Round(figures.InputPanChange, 3), Math.Round(figures.NoiseChange, 3), Math.Round(figures.InputNoiseChange, 3),
                Math.Round(clock.Elapsed.TotalSeconds, 2)));
        }

        if (json)
        {
            var summary = new
            {
                Frame = Path.GetFullPath(framePath), spec.Width, spec.Height, spec.Frames, spec.PanX, spec.PanY, spec.NoiseSigma, spec.Margin, spec.Seed,
                Environment.ProcessorCount, Styles = rows,
            };
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(summary, CommandOptions.Json)).ConfigureAwait(false);
            return CliApp.Ok;
        }

        var console = context.OutConsole();
        var table = new Table().AddColumns("style", "kind", "pan ratio", "noise ratio", "detail", "input detail");
        foreach (var row in rows)
        {
            table.AddRow(Markup.Escape(row.Style), row.Kind, Figure(row.PanRatio, "0.00"), Figure(row.NoiseRatio, "0.00"), Figure(row.Detail, "0.0"), Figure(row.InputDetail, "0.0"));
        }

        console.Write(table);
        await context.Out.WriteLineAsync($"""
            pan ratio    mean |out(t) - out(t-1) moved {spec.PanX},{spec.PanY} px| / the same of the input (its sensor noise, sigma {spec.NoiseSigma:0.##}): 1 = moves with the scene
            noise ratio  mean |out(t) - out(t-1)| / mean |in(t) - in(t-1)| with a static camera and fresh sensor noise: 1 = no amplification
            detail       mean |dx| + |dy| of the output's pan frames (the input's beside it): a low pan ratio with low detail is blur, not stability
            """).ConfigureAwait(false);
        return CliApp.Ok;
    }

    private static string Figure(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static RgbImage ReadPhoto(string path)
    {
        byte[] encoded;
        try
        {
            encoded = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RotoscopeException($"cannot read the frame {path}: {e.Message}", e);
        }

        if (ImageCodec.Detect(encoded) is null)
        {
            throw new RotoscopeException($"the frame {path} is not a JPEG or PNG image");
        }

        using var codec = new ImageCodec();
        return codec.Decode(encoded);
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
