using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Review;
using Rotoscope.Core.Styles;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope render INPUT --style STYLE</c>: stylize a video on this machine.</summary>
internal static class RenderCommand
{
    /// <summary>Shown in help; a test parses each one, so they stay true.</summary>
    internal static readonly string[] Examples =
    [
        "rotoscope render drone.mp4 --style toon",
        "rotoscope render drone.mp4 --style mosaic --output out/styled.mp4 --fps 60 --json",
        "rotoscope render drone.mp4 --style \"posterize|ink\" --frame-format Png",
        "rotoscope render drone.mp4 --style mosaic --strength 0.6 --keep-colors",
        "rotoscope render data://videos/drone.mp4 --style mosaic@3.0.0 --device auto",
        "rotoscope render drone.mp4 --style mosaic --review dropbox+review://Reviews/ --publish-to s3+archive://published/",
    ];

    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("input") { Description = "Video to stylize: a path, file:// or data:// URI." };
        var style = new Option<string>("--style", "-s")
        {
            Description = "Style: an id (toon), id@version (toon@1.0.0), a chain (mosaic|ink) or an .onnx path/URI.",
            Required = true,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the video (default: beside the input, as NAME.STYLE.EXT)." };
        var fps = new Option<Rational?>("--fps") { Description = "Output frame rate, e.g. 60 or 30000/1001 (default: the source's).", CustomParser = CommandOptions.ParseRate };
        var batchSize = new Option<int>("--batch-size") { Description = "Frames per stylize job.", DefaultValueFactory = _ => RenderPlan.DefaultBatchSize };
        var frameFormat = new Option<ImageFormat>("--frame-format") { Description = "How frames are stored between steps: Jpeg (q95) or Png (lossless).", DefaultValueFactory = _ => ImageFormat.Jpeg };
        var device = CommandOptions.Device();
        var threads = CommandOptions.Threads();
        var tile = CommandOptions.Tile();
        var strength = CommandOptions.Strength();
        var keepColors = CommandOptions.KeepColors();
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary on stdout." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output that is not this render's result (refused otherwise)." };
        var allowDamaged = new Option<bool>("--allow-damaged") { Description = "Render what decodes of a truncated or damaged input instead of failing (the summary says so)." };
        var dataDir = CommandOptions.DataDirectory();
        var fleet = new Option<string?>("--fleet")
        {
            Description = $"Run on a fleet of 'rotoscope worker's whose jobs are in this PostgreSQL database (an Npgsql connection string; without a value: ${WorkerCommand.PostgresVariable}).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var detach = new Option<bool>("--detach") { Description = "With --fleet: return once the render is queued, printing its id." };
        var review = new Option<string?>("--review") { Description = "When the render succeeds, publish it for review in this Dropbox folder (dropbox+label://Reviews/; see 'rotoscope review')." };
        var publishTo = ReviewCommand.PublishToOption();
        var frameStore = new Option<string?>("--store") { Description = "Keep frames and render state in a connector's folder instead of data:// (s3://bucket/prefix/, s3+label://prefix/, dropbox+label://folder/), to share them between machines." };

        var command = new Command("render", $"Stylize a video: same fps, size, duration and audio as the input.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            input, style, strength, keepColors, output, fps, batchSize, frameFormat, device, threads, tile, json, dataDir, frameStore, fleet, detach, overwrite, allowDamaged, review, publishTo,
        };
        batchSize.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--batch-size must be at least 1"); } });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with
            {
                FrameStore = parse.GetValue(frameStore),
                // On a fleet the device picks the workers; this machine only checks that the models open, on its CPU.
                Inference = new InferenceOptions(parse.GetResult(fleet) is null ? parse.GetValue(device) : InferenceDevice.Cpu, parse.GetValue(threads), parse.GetValue(tile)),
            };
            var request = new RenderRequest(parse.GetValue(input)!, parse.GetValue(style)!)
            {
                Output = parse.GetValue(output),
                Fps = parse.GetValue(fps),
                BatchSize = parse.GetValue(batchSize),
                FrameFormat = parse.GetValue(frameFormat),
                Overwrite = parse.GetValue(overwrite),
                AllowDamaged = parse.GetValue(allowDamaged),
                Device = parse.GetValue(device),
                Adjustment = CommandOptions.Adjustment(parse, strength, keepColors),
            };
            var asJson = parse.GetValue(json);
            var reviewRoot = parse.GetValue(review);
            if (reviewRoot is null && parse.GetValue(publishTo) is not null)
            {
                throw new RotoscopeException("--publish-to needs --review: the output is published when a reviewer approves it");
            }

            if (reviewRoot is not null && parse.GetValue(detach))
            {
                throw new RotoscopeException("--review needs the render to finish here; with --detach, publish it later: rotoscope review publish RENDER_ID --to URI");
            }

            var view = new ProgressView(context);
            (RenderResult Result, IReadOnlyList<string> Notes) result;
            if (parse.GetResult(fleet) is not null)
            {
                var connection = WorkerCommand.ConnectionOf(context, parse.GetValue(fleet));
                var onFleet = await FleetRenderer.RenderAsync(options, request, connection, parse.GetValue(detach), asJson ? null : view.FollowAsync, asJson ? null : view.Notice, cancellationToken).ConfigureAwait(false);
                if (onFleet.Result is null)
                {
                    await context.Out.WriteLineAsync(asJson
                        ? JsonSerializer.Serialize(new { onFleet.RenderId, Queued = true }, CommandOptions.Json)
                        : $"render {onFleet.RenderId} queued on the fleet (follow it: rotoscope status {onFleet.RenderId})").ConfigureAwait(false);
                    return CliApp.Ok;
                }

                result = (onFleet.Result, onFleet.Notes);
            }
            else if (parse.GetValue(detach))
            {
                throw new RotoscopeException("--detach needs --fleet: a render of this machine runs in this process");
            }
            else
            {
                result = await LocalRenderer.RenderAsync(options, request, asJson ? null : view.FollowAsync, asJson ? null : view.Notice, cancellationToken).ConfigureAwait(false);
            }

            // Published for review only once the render succeeded (a failure above never reaches Dropbox).
            ReviewRecord? reviewed = null;
            if (reviewRoot is not null)
            {
                reviewed = await ReviewCommand.PublishAsync(options, result.Result.RenderId, reviewRoot, parse.GetValue(publishTo), cancellationToken).ConfigureAwait(false);
            }

            var notes = result.Notes.ToList();
            if (result.Result.InputDamage is { } damage)
            {
                notes.Add($"the input {damage}: rendered what decodes (--allow-damaged)");
            }

            if (asJson)
            {
                var summary = JsonSerializer.SerializeToNode(result.Result, CommandOptions.Json)!.AsObject();
                summary["notes"] = new JsonArray(notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
                if (reviewed is not null)
                {
                    summary["review"] = JsonSerializer.SerializeToNode(reviewed, CommandOptions.Json);
                }

                await context.Out.WriteLineAsync(summary.ToJsonString(CommandOptions.Json)).ConfigureAwait(false);
            }
            else
            {
                foreach (var note in notes)
                {
                    await context.Error.WriteLineAsync($"note: {note}").ConfigureAwait(false);
                }

                var r = result.Result;
                var adjusted = new StyleAdjustment(r.Strength, r.KeepColors) is { IsNone: false } adjustment ? $", {adjustment.Description}" : "";
                if (r.AlreadyRendered)
                {
                    await context.Out.WriteLineAsync($"{r.Output}: already rendered (render {r.RenderId}: {r.Frames} frames, {r.Width}x{r.Height} at {r.Fps} fps{adjusted}); nothing to do").ConfigureAwait(false);
                }
                else
                {
                    var reused = r.FramesReused > 0 ? $", {r.FramesReused} frames reused" : "";
                    await context.Out.WriteLineAsync($"{r.Output}: {r.Frames} frames, {r.Width}x{r.Height} at {r.Fps} fps, {r.Seconds:0.##} s{(r.HasAudio ? " with audio" : "")}{adjusted} — rendered in {r.ElapsedSeconds:0.#} s ({r.FramesPerSecond:0.#} frames/s{reused})").ConfigureAwait(false);
                }

                if (reviewed is not null)
                {
                    await context.Out.WriteLineAsync(ReviewCommand.Describe(reviewed)).ConfigureAwait(false);
                }
            }

            return CliApp.Ok;
        });
        return command;
    }
}
