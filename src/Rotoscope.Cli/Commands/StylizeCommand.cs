using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Stills;
using Rotoscope.Core.Styles;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope stylize INPUT --style STYLE --output FOLDER</c>: style images, in batch jobs.</summary>
internal static class StylizeCommand
{
    /// <summary>Shown in help; a test parses each one, so they stay true.</summary>
    internal static readonly string[] Examples =
    [
        "rotoscope stylize photos/ --style mosaic --output styled/",
        "rotoscope stylize \"photos/**/*.jpg\" --style \"posterize|ink\" --output styled/ --json",
        "rotoscope stylize s3+footage://stills/ --style mosaic --output s3+out://stills.mosaic/ --fleet",
    ];

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("input") { Description = "Images: a folder (everything below it), a glob (photos/*.jpg, data://stills/**/*.png) or one image; a path or a data://, s3://, s3+label://, dropbox:// URI." };
        var style = new Option<string>("--style", "-s")
        {
            Description = "Style: an id (toon), id@version (toon@1.0.0), a chain (mosaic|ink) or an .onnx path/URI.",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the styled images: same relative names, format (JPEG, PNG) and size.", Required = true };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per job.", DefaultValueFactory = _ => StillPlan.DefaultBatchSize };
        batchSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch-size must be at least 1"); } });
        var quality = new Option<int>("--quality") { Description = "JPEG quality of styled JPEGs, 1-100 (PNGs stay lossless).", DefaultValueFactory = _ => 95 };
        quality.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 100) { r.AddError("--quality must be between 1 and 100"); } });
        var device = CommandOptions.Device();
        var threads = CommandOptions.Threads();
        var tile = CommandOptions.Tile();
        var strength = CommandOptions.Strength();
        var keepColors = CommandOptions.KeepColors();
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary on stdout." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace outputs that exist and were not made by this stylize (refused otherwise)." };
        var dataDir = CommandOptions.DataDirectory();
        var frameStore = new Option<string?>("--store") { Description = "Keep batch records in a connector's folder instead of data:// (s3://bucket/prefix/, s3+label://prefix/), shared with a fleet's workers." };
        var fleet = new Option<string?>("--fleet")
        {
            Description = $"Run on a fleet of 'rotoscope worker's whose jobs are in this PostgreSQL database (an Npgsql connection string; without a value: ${WorkerCommand.PostgresVariable}).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var detach = new Option<bool>("--detach") { Description = "With --fleet: return once the batches are queued." };

        var command = new Command("stylize", $"Style images: every JPEG and PNG under INPUT, written under --output with the same name, format and size. Run it again to do only what is missing.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            input, style, strength, keepColors, output, batchSize, quality, device, threads, tile, json, overwrite, dataDir, frameStore, fleet, detach,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var onFleet = parse.GetResult(fleet) is not null;
            if (parse.GetValue(detach) && !onFleet)
            {
                throw new RotoscopeException("--detach needs --fleet: a stylize of this machine runs in this process");
            }

            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with
            {
                FrameStore = parse.GetValue(frameStore),
                // On a fleet the device picks the workers; this machine only checks that the models open, on its CPU.
                Inference = new InferenceOptions(onFleet ? InferenceDevice.Cpu : parse.GetValue(device), parse.GetValue(threads), parse.GetValue(tile)),
            };
            var request = new StillRequest(parse.GetValue(input)!, parse.GetValue(style)!, parse.GetValue(output)!)
            {
                BatchSize = parse.GetValue(batchSize),
                JpegQuality = parse.GetValue(quality),
                Overwrite = parse.GetValue(overwrite),
                Device = parse.GetValue(device),
                Adjustment = CommandOptions.Adjustment(parse, strength, keepColors),
            };
            var asJson = parse.GetValue(json);
            var postgres = onFleet ? WorkerCommand.ConnectionOf(context, parse.GetValue(fleet)) : null;

            using var viewing = new CancellationTokenSource();
            Task view = Task.CompletedTask;
            void Started(StillTracker tracker) => view = asJson ? Task.CompletedTask : ShowAsync(context, request, tracker, viewing.Token);
            StillRun run;
            try
            {
                run = await StillRenderer.RunAsync(options, request, postgres, parse.GetValue(detach), Started, asJson ? null : line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await viewing.CancelAsync().ConfigureAwait(false);
                await view.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (run.Result is not { } result)
            {
                await context.Out.WriteLineAsync(asJson
                    ? JsonSerializer.Serialize(new { run.JobId, run.Queued }, CommandOptions.Json)
                    : $"{run.Queued} images queued on the fleet (stylize {run.JobId}); run the same command without --detach to follow it").ConfigureAwait(false);
                return CliApp.Ok;
            }

            foreach (var failure in result.Failed)
            {
                await context.Error.WriteLineAsync($"rotoscope: cannot stylize {failure.Name}: {failure.Reason}").ConfigureAwait(false);
            }

            if (asJson)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    result.JobId, result.Input, result.Output, result.Images, result.Styled, result.Skipped, Failed = result.Failed.Count,
                    Failures = result.Failed, result.NotImages, result.ElapsedSeconds, result.ImagesPerSecond, result.Styles, result.Strength, result.KeepColors, run.Notes,
                }, CommandOptions.Json)).ConfigureAwait(false);
            }
            else
            {
                foreach (var note in run.Notes)
                {
                    await context.Error.WriteLineAsync($"note: {note}").ConfigureAwait(false);
                }

                if (result.NotImages.Count > 0)
                {
                    await context.Error.WriteLineAsync((result.NotImages.Count == 1 ? $"note: skipped {result.NotImages[0]}: not a JPEG or PNG" : $"note: skipped {result.NotImages.Count} files that are not JPEG or PNG (e.g. {result.NotImages[0]})")).ConfigureAwait(false);
                }

                var skipped = result.Skipped > 0 ? $", {result.Skipped} already done" : "";
                var failed = result.Failed.Count > 0 ? $", {result.Failed.Count} failed" : "";
                var adjusted = new StyleAdjustment(result.Strength, result.KeepColors) is { IsNone: false } adjustment ? $" ({adjustment.Description})" : "";
                await context.Out.WriteLineAsync($"{result.Output}: {result.Styled} of {result.Images} images styled{adjusted}{skipped}{failed} in {result.ElapsedSeconds:0.#} s ({result.ImagesPerSecond:0.#} images/s)").ConfigureAwait(false);
            }

            if (result.Failed.Count > 0)
            {
                await context.Error.WriteLineAsync($"rotoscope: {result.Failed.Count} of {result.Images} images could not be styled (the others are done); fix or remove them and run the same command again").ConfigureAwait(false);
                return CliApp.Failure;
            }

            return CliApp.Ok;
        });
        return command;
    }

    // Like a render's progress: a live bar on stderr when it is a terminal, else a line every few seconds on stdout.
    private static async Task ShowAsync(CliContext context, StillRequest request, StillTracker tracker, CancellationToken cancellationToken)
    {
        if (!context.ErrorIsTerminal)
        {
            await context.Out.WriteLineAsync($"stylize {request.Input} with {request.Style} into {request.Output}: {tracker.Progress.Total} images").ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(PlainInterval, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!cancellationToken.IsCancellationRequested)
                {
                    await context.Out.WriteLineAsync(Describe(tracker.Progress)).ConfigureAwait(false);
                }
            }

            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var bar = progress.AddTask("stylizing", maxValue: Math.Max(1, tracker.Progress.Total));
                while (!cancellationToken.IsCancellationRequested)
                {
                    var state = tracker.Progress;
                    bar.Description = Describe(state);
                    bar.Value = state.Done;
                    await Task.Delay(Tick, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }).ConfigureAwait(false);
    }

    private static string Describe(StillProgress state)
    {
        var text = $"stylizing {state.Done}/{state.Total} images";
        if (state.ImagesPerSecond > 0)
        {
            text += $", {state.ImagesPerSecond:0.#} images/s";
        }

        if (state.Remaining is { } remaining)
        {
            text += $", ETA {(int)remaining.TotalHours}:{remaining:mm\\:ss}";
        }

        return state.Skipped > 0 ? $"{text} ({state.Skipped} already done)" : text;
    }
}
