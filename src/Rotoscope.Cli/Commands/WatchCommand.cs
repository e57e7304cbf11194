using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope watch FOLDER --style STYLE --output FOLDER</c>: render each new video of a folder once, here (polling), or
/// as a fleet's recurring job.
/// </summary>
internal static class WatchCommand
{
    /// <summary>Shown in help; a test parses each one, so they stay true.</summary>
    internal static readonly string[] Examples =
    [
        "rotoscope watch incoming/ --style toon --output styled/",
        "rotoscope watch s3+footage://raw/ --style mosaic --output s3+out://cooked/ --interval 1m",
        "rotoscope watch incoming/ --style toon --output styled/ --once --json",
        "rotoscope watch s3+footage://raw/ --style mosaic --output s3+out://cooked/ --store s3+frames://rotoscope/ --fleet",
        "rotoscope watch --list --fleet",
        "rotoscope watch s3+footage://raw/ --style mosaic --output s3+out://cooked/ --fleet --remove",
    ];

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultFleetInterval = TimeSpan.FromMinutes(1);

    public static Command Create(CliContext context)
    {
        var source = new Argument<string?>("folder") { Description = "The folder to watch: a path, data://videos/, s3://bucket/prefix/, s3+label://prefix/, dropbox+label://folder/.", Arity = ArgumentArity.ZeroOrOne };
        var style = new Option<string?>("--style", "-s") { Description = "Style: an id (toon), id@version, a chain (mosaic|ink) or an .onnx path/URI." };
        var output = new Option<string?>("--output", "-o") { Description = "The folder outputs go to, named as render names them (NAME.STYLE.EXT); sub-folders are kept." };
        var interval = Duration("--interval", $"Time between passes (default {DefaultInterval.TotalSeconds:0}s here, 1m on a fleet: whole minutes or hours there), e.g. 30s, 5m.");
        var settle = Duration("--settle", $"A file must look the same (size and modification time, or version) on two looks this far apart before it is rendered (default {WatchDefinition.DefaultSettle.TotalSeconds:0}s).");
        var once = new Option<bool>("--once") { Description = "One pass, then exit." };
        var fleet = new Option<string?>("--fleet")
        {
            Description = $"Register the watch as a recurring job of the fleet whose jobs are in this PostgreSQL database (without a value: ${WorkerCommand.PostgresVariable}); its workers render.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var list = new Option<bool>("--list") { Description = "With --fleet: list the fleet's watches." };
        var remove = new Option<string?>("--remove") { Description = "With --fleet: remove the watch of FOLDER, --style and --output (or the watch with this id, from --list).", Arity = ArgumentArity.ZeroOrOne };
        var fps = new Option<Rational?>("--fps") { Description = "Output frame rate, e.g. 60 or 30000/1001 (default: each source's).", CustomParser = CommandOptions.ParseRate };
        var batchSize = new Option<int>("--batch-size") { Description = "Frames per stylize job.", DefaultValueFactory = _ => RenderPlan.DefaultBatchSize };
        batchSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch-size must be at least 1"); } });
        var frameFormat = new Option<ImageFormat>("--frame-format") { Description = "How frames are stored between steps: Jpeg (q95) or Png (lossless).", DefaultValueFactory = _ => ImageFormat.Jpeg };
        var allowDamaged = new Option<bool>("--allow-damaged") { Description = "Render what decodes of a truncated or damaged input instead of failing it." };
        var device = CommandOptions.Device();
        var threads = CommandOptions.Threads();
        var tile = CommandOptions.Tile();
        var strength = CommandOptions.Strength();
        var keepColors = CommandOptions.KeepColors();
        var frameStore = new Option<string?>("--store") { Description = "The frame store (default data://); on a fleet, the one its workers use. What the watch has seen is kept there, under watches/." };
        var dataDir = CommandOptions.DataDirectory();
        var json = new Option<bool>("--json") { Description = "Print JSON: what each pass did (an array with --once, one object a line otherwise)." };
        var command = new Command("watch", $"Render each new video of a folder once (by content: a renamed or copied file is not rendered again, a changed one is), here or on a fleet.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            source, style, strength, keepColors, output, interval, settle, once, fleet, list, remove, fps, batchSize, frameFormat, allowDamaged, device, threads, tile, frameStore, dataDir, json,
        };
        command.Validators.Add(r =>
        {
            var listing = r.GetValue(list);
            var removingById = r.GetResult(remove) is not null && r.GetValue(remove) is not null;
            if ((listing || r.GetResult(remove) is not null) && r.GetResult(fleet) is null)
            {
                r.AddError($"{(listing ? "--list" : "--remove")} needs --fleet: a watch of this machine runs in its own process (Ctrl+C ends it)");
            }
            else if (!listing && !removingById && (r.GetValue(source) is null || r.GetValue(style) is null || r.GetValue(output) is null))
            {
                r.AddError("watch needs a folder, --style and --output (e.g. rotoscope watch incoming/ --style toon --output styled/)");
            }
            else if (r.GetValue(once) && r.GetResult(fleet) is not null)
            {
                r.AddError("--once runs a pass here; with --fleet the workers run the passes (the first one at once)");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with
            {
                FrameStore = parse.GetValue(frameStore),
                Inference = new InferenceOptions(parse.GetResult(fleet) is null ? parse.GetValue(device) : InferenceDevice.Cpu, parse.GetValue(threads), parse.GetValue(tile)),
            };
            var watch = parse.GetValue(source) is { } folder && parse.GetValue(style) is { } chosen && parse.GetValue(output) is { } outputs
                ? new WatchDefinition(folder, chosen, outputs)
                {
                    Fps = parse.GetValue(fps),
                    BatchSize = parse.GetValue(batchSize),
                    FrameFormat = parse.GetValue(frameFormat),
                    Device = parse.GetValue(device),
                    AllowDamaged = parse.GetValue(allowDamaged),
                    Settle = parse.GetValue(settle) ?? WatchDefinition.DefaultSettle,
                    Adjustment = CommandOptions.Adjustment(parse, strength, keepColors),
                }
                : null;
            var asJson = parse.GetValue(json);
            if (parse.GetResult(fleet) is null)
            {
                return await WatchHereAsync(context, options, watch!, parse.GetValue(interval) ?? DefaultInterval, parse.GetValue(once), asJson, cancellationToken).ConfigureAwait(false);
            }

            await using var services = FleetStorage.Compose(options, WorkerCommand.ConnectionOf(context, parse.GetValue(fleet)));
            var recurring = services.GetRequiredService<RecurringWatches>();
            if (parse.GetValue(list))
            {
                await ListAsync(context, recurring.List(), asJson).ConfigureAwait(false);
                return CliApp.Ok;
            }

            if (parse.GetResult(remove) is not null)
            {
                var id = parse.GetValue(remove) ?? RecurringWatches.FolderPrefix + watch!.Id;
                if (!recurring.Remove(id))
                {
                    throw new RotoscopeException($"no watch {id} on the fleet (see: rotoscope watch --list --fleet)");
                }

                await context.Out.WriteLineAsync($"removed watch {id}").ConfigureAwait(false);
                return CliApp.Ok;
            }

            services.GetRequiredService<FolderWatcher>().Validate(watch!);
            var every = parse.GetValue(interval) ?? DefaultFleetInterval;
            var registered = recurring.AddFolderWatch(watch!, RecurringWatches.CronOf(every));
            await context.Out.WriteLineAsync(asJson
                ? JsonSerializer.Serialize(new { Id = registered, watch!.Source, watch.Style, watch.Output, Cron = RecurringWatches.CronOf(every) }, CommandOptions.Json)
                : $"watch {registered}: the fleet renders new videos of {watch!.Source} with {watch.Style} into {watch.Output}, every {Describe(every)} (the first pass runs now; remove it: rotoscope watch --fleet --remove {registered})").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>A duration option: 500ms, 30s, 5m, 2h, or plain seconds.</summary>
    internal static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
            var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
                : text.EndsWith('s') ? (text[..^1], 1.0)
                : text.EndsWith('m') ? (text[..^1], 60.0)
                : text.EndsWith('h') ? (text[..^1], 3600.0)
                : (text, 1.0);
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value * unit <= TimeSpan.FromDays(7).TotalSeconds)
            {
                return TimeSpan.FromSeconds(value * unit);
            }

            result.AddError($"'{text}' is not a duration for {name} (examples: 500ms, 30s, 5m, 1h)");
            return null;
        },
    };

    internal static string Describe(TimeSpan interval) => interval switch
    {
        { TotalHours: >= 1 } when interval.TotalHours % 1 == 0 => interval.TotalHours == 1 ? "hour" : $"{interval.TotalHours:0} hours",
        { TotalMinutes: >= 1 } when interval.TotalMinutes % 1 == 0 => interval.TotalMinutes == 1 ? "minute" : $"{interval.TotalMinutes:0} minutes",
        _ => $"{interval.TotalSeconds:0.###} s",
    };

    // Passes until Ctrl+C (or one): each renders what is ready and new, in this process, one render at a time.
    private static async Task<int> WatchHereAsync(CliContext context, RotoscopeOptions options, WatchDefinition watch, TimeSpan interval, bool once, bool asJson, CancellationToken cancellationToken)
    {
        await using var services = new ServiceCollection().AddRotoscope(options).AddWatches().BuildServiceProvider();
        var watcher = services.GetRequiredService<FolderWatcher>();
        watcher.Validate(watch);
        var locks = services.GetRequiredService<PassLocks>();
        using var held = await locks.TryAcquireAsync(WatchJobs.WatchLock(watch.Id), cancellationToken).ConfigureAwait(false)
            ?? throw new RotoscopeException($"{watch.Source} is already watched with {watch.Style} into {watch.Output} (process {locks.HolderOf(WatchJobs.WatchLock(watch.Id)) ?? "?"})");
        var compact = new JsonSerializerOptions(CommandOptions.Json) { WriteIndented = false };
        try
        {
            while (true)
            {
                var events = await watcher.PassAsync(watch, (request, ct) => RenderHereAsync(options, request, ct), cancellationToken).ConfigureAwait(false);
                if (once && asJson)
                {
                    await context.Out.WriteLineAsync(JsonSerializer.Serialize(events, CommandOptions.Json)).ConfigureAwait(false);
                }
                else
                {
                    foreach (var happened in events)
                    {
                        await context.Out.WriteLineAsync(asJson ? JsonSerializer.Serialize(happened, compact) : $"{happened.Input}: {happened.What}").ConfigureAwait(false);
                    }

                    if (once && events.Count == 0)
                    {
                        await context.Out.WriteLineAsync("nothing new").ConfigureAwait(false);
                    }
                }

                if (once)
                {
                    return CliApp.Ok;
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !once)
        {
            // Ctrl+C is how a watch ends. A render it interrupted was not recorded: the next watch resumes it.
            return CliApp.Ok;
        }
    }

    private static async Task<WatchEvent> RenderHereAsync(RotoscopeOptions options, RenderRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (result, _) = await LocalRenderer.RenderAsync(options, request, null, null, cancellationToken).ConfigureAwait(false);
            var what = result.AlreadyRendered
                ? $"already rendered to {result.Output}"
                : $"rendered to {result.Output} ({result.Frames} frames, {result.Width}x{result.Height} at {result.Fps} fps, in {result.ElapsedSeconds:0.#} s)";
            return new WatchEvent(request.Input, WatchOutcome.Rendered, what, result.RenderId, result.Output);
        }
        catch (Exception e) when ((WatchJobs.IsRenderFailure(e) || e is IOException or UnauthorizedAccessException) && !cancellationToken.IsCancellationRequested)
        {
            return new WatchEvent(request.Input, WatchOutcome.Failed, $"failed: {CliApp.Describe(e)}");
        }
    }

    private static async Task ListAsync(CliContext context, IReadOnlyList<RegisteredWatch> watches, bool asJson)
    {
        if (asJson)
        {
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(watches, CommandOptions.Json)).ConfigureAwait(false);
            return;
        }

        if (watches.Count == 0)
        {
            await context.Out.WriteLineAsync("no watches on the fleet").ConfigureAwait(false);
            return;
        }

        var console = context.OutConsole();
        var table = new Table().AddColumn(new TableColumn("watch").NoWrap()).AddColumns("folder", "style", "output", "cron", "last run", "next run");
        foreach (var w in watches)
        {
            table.AddRow(
                w.Id,
                Markup.Escape(w.Folder?.Source ?? $"review: {w.ReviewRoot}"),
                Markup.Escape(w.Folder?.Adjustment.Describe(w.Folder.Style) ?? ""),
                Markup.Escape(w.Folder?.Output ?? ""),
                w.Cron,
                w.LastRun is { } last ? $"{last:yyyy-MM-dd HH:mm:ss}Z ({w.LastState?.ToLowerInvariant()})" : "",
                w.NextRun is { } next ? $"{next:yyyy-MM-dd HH:mm:ss}Z" : "");
        }

        console.Write(table);
    }
}
