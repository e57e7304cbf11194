using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rotoscope.Core;
using Rotoscope.Core.Styles;
using Rotoscope.Training;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope train STYLE_IMAGE --name NAME</c>: train a style from one image into the user catalog. Interrupted
/// runs (Ctrl+C, a crash) resume from their last checkpoint when the same command runs again.
/// </summary>
internal static partial class TrainCommand
{
    /// <summary>Shown in help; a test parses each one, so they stay true.</summary>
    internal static readonly string[] Examples =
    [
        "rotoscope train painting.jpg --name harbour",
        "rotoscope train painting.jpg --name harbour --steps 2000 --size 256 --strength-of-style 2",
        "rotoscope train glass.png --name glass --content photos/ --seed 7 --json",
        "rotoscope train nightwatch.jpg --name nightwatch --title \"Night Watch\" --description \"Dark umber glazes, warm highlights\" --license \"public domain (Rembrandt, 1642)\"",
    ];

    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static Command Create(CliContext context)
    {
        var defaults = new TrainingSettings();
        var styleImage = new Argument<string>("style-image") { Description = "The style image: a JPEG or PNG file." };
        var name = new Option<string>("--name", "-n") { Description = "Id of the new style (lower-case letters, digits, dashes); render with --style NAME.", Required = true };
        var steps = new Option<int>("--steps") { Description = $"Training steps (default {defaults.Steps}).", DefaultValueFactory = _ => defaults.Steps };
        var size = new Option<int>("--size") { Description = $"Side of the square training crops in pixels, a multiple of 4 (default {defaults.Size}).", DefaultValueFactory = _ => defaults.Size };
        var strength = new Option<double>("--strength-of-style") { Description = $"How strongly the style is imposed over the content (default {defaults.StyleWeight}).", DefaultValueFactory = _ => defaults.StyleWeight };
        var contentStrength = new Option<double>("--strength-of-content") { Description = $"How much of the video's own detail is kept (default {defaults.ContentWeight}).", DefaultValueFactory = _ => defaults.ContentWeight };
        var stability = new Option<double>("--stability") { Description = $"Weight of the stability loss: the output must move with the picture and ignore sensor noise, against flicker on video (default {defaults.StabilityWeight}).", DefaultValueFactory = _ => defaults.StabilityWeight };
        var smoothness = new Option<double>("--smoothness") { Description = $"Weight of the total-variation loss: higher gives flatter, cleaner areas (default {defaults.VariationWeight}).", DefaultValueFactory = _ => defaults.VariationWeight };
        var content = new Option<string?>("--content") { Description = "Folder of JPEG/PNG photographs to train on (default: the photos shipped in models/content)." };
        var seed = new Option<int>("--seed") { Description = $"Seed: the same seed, settings and images give the same network (default {defaults.Seed}).", DefaultValueFactory = _ => defaults.Seed };
        var restart = new Option<bool>("--restart") { Description = "Discard an unfinished run of this name and start over." };
        var checkpointMinutes = new Option<double>("--checkpoint-minutes") { Description = "Minutes between checkpoints (and previews); 0: after every step. Default 3.", DefaultValueFactory = _ => 3 };
        checkpointMinutes.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() >= 0)) { r.AddError("--checkpoint-minutes must not be negative"); } });
        var title = new Option<string?>("--title") { Description = "Title shown by 'rotoscope styles' (default: the name)." };
        var description = new Option<string?>("--description") { Description = "One line on what the style looks like (default: the style image it was trained from)." };
        var license = new Option<string?>("--license") { Description = "Source and licence of the style image, kept in the catalog (e.g. \"public domain, Wikimedia Commons\")." };
        var device = new Option<string>("--device") { Description = "cpu, or cuda with a CUDA build of LibTorch (see the README's GPU section). Default cpu.", DefaultValueFactory = _ => "cpu" };
        device.AcceptOnlyFromAmong("cpu", "cuda");
        var threads = CommandOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary on stdout." };
        var dataDir = CommandOptions.DataDirectory();

        var command = new Command(
            "train",
            $"Train a style from one image and add it to your styles (the data store's catalog).\nNeeds LibTorch: scripts/training-setup.sh fetches it once (./rotoscope train runs it for you).\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            styleImage, name, title, description, license, steps, size, strength, contentStrength, smoothness, stability, content, seed, restart, checkpointMinutes, device, threads, json, dataDir,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir));
            var id = parse.GetValue(name)!;
            var settings = new TrainingSettings(
                Steps: parse.GetValue(steps), Size: parse.GetValue(size), StyleWeight: parse.GetValue(strength), Seed: parse.GetValue(seed),
                ContentWeight: parse.GetValue(contentStrength), VariationWeight: parse.GetValue(smoothness), StabilityWeight: parse.GetValue(stability));
            settings.Validate();
            CheckName(id, options.ModelsDirectory);
            var stylePath = Path.GetFullPath(parse.GetValue(styleImage)!);
            StyleTrainer.CheckStyleImage(stylePath, parse.GetValue(styleImage)!);

            var runDirectory = Path.Combine(options.DataDirectory, "training", id);
            var libTorch = LibTorch.DefaultDirectory(context.Environment, AppContext.BaseDirectory);
            var job = new TrainingJob(
                stylePath,
                Path.GetFullPath(parse.GetValue(content) ?? Path.Combine(options.ModelsDirectory, "content")),
                runDirectory,
                LibTorch.ResNet18Path(libTorch),
                settings)
            {
                Threads = parse.GetValue(threads),
                Cuda = parse.GetValue(device) == "cuda",
                CheckpointInterval = TimeSpan.FromMinutes(parse.GetValue(checkpointMinutes)),
            };
            var trainer = new StyleTrainer(job);
            var registered = Path.Combine(runDirectory, "registered.json");
            if (parse.GetValue(restart) && Directory.Exists(runDirectory))
            {
                Directory.Delete(runDirectory, recursive: true);
            }
            else if (File.Exists(registered))
            {
                // A finished run: the same command again has nothing to do; new settings or images make a new version.
                var done = JsonSerializer.Deserialize<Registered>(await File.ReadAllTextAsync(registered, cancellationToken).ConfigureAwait(false), CommandOptions.Json)!;
                if (done.Run == trainer.Describe())
                {
                    return await ReportAsync(context, parse.GetValue(json), done.Id, done.Version, done.Summary, alreadyTrained: true).ConfigureAwait(false);
                }

                Directory.Delete(runDirectory, recursive: true);
            }

            LibTorch.Load(libTorch, job.Cuda);
            var asJson = parse.GetValue(json);
            var view = new TrainingView(context, asJson);
            if (!asJson)
            {
                var resume = trainer.CheckpointStep() is > 0 and var step ? $", resuming at step {step}" : "";
                view.Notice($"training {id}: {settings.Steps} steps of {settings.Size}px crops{resume}; a checkpoint and {trainer.PreviewPath} every {job.CheckpointInterval.TotalMinutes:0.##} minutes");
            }

            var outcome = await Task.Factory.StartNew(
                () => trainer.Run(view, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            view.Finish();

            var summary = new JsonObject
            {
                ["steps"] = outcome.Steps,
                ["resumedFrom"] = outcome.ResumedFrom,
                ["finalLoss"] = outcome.Losses.Count > 0 ? Math.Round(outcome.Losses[^1], 5) : null,
                ["trainingSeconds"] = Math.Round(outcome.TrainingSeconds, 1),
                ["onnxMaxDifference"] = outcome.OnnxDifference,
            };
            var made = new JsonObject
            {
                ["trainer"] = "rotoscope train",
                ["torchSharp"] = LibTorch.TorchSharpVersion,
                ["lossNetwork"] = "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1)",
                ["settings"] = JsonSerializer.SerializeToNode(settings, CommandOptions.Json),
                ["content"] = job.ContentDirectory,
                ["result"] = summary.DeepClone(),
                ["trainedAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            var style = new UserStyles(options.DataDirectory).Add(new NewUserStyle(
                id,
                parse.GetValue(title) ?? id,
                parse.GetValue(description) ?? $"Trained from {Path.GetFileName(stylePath)} (rotoscope train).",
                outcome.ModelPath,
                outcome.PreviewPath,
                stylePath,
                parse.GetValue(license) ?? "not given (the style image's own licence applies)",
                made));
            await File.WriteAllTextAsync(
                registered,
                JsonSerializer.Serialize(new Registered(style.Id, style.Version, trainer.Describe(), summary), CommandOptions.Json),
                CancellationToken.None).ConfigureAwait(false);
            return await ReportAsync(context, asJson, style.Id, style.Version, summary, alreadyTrained: false).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ReportAsync(CliContext context, bool asJson, string id, string version, JsonObject summary, bool alreadyTrained)
    {
        if (asJson)
        {
            var result = new JsonObject { ["id"] = id, ["version"] = version, ["alreadyTrained"] = alreadyTrained };
            foreach (var (key, value) in summary)
            {
                result[key] = value?.DeepClone();
            }

            await context.Out.WriteLineAsync(result.ToJsonString(CommandOptions.Json)).ConfigureAwait(false);
            return CliApp.Ok;
        }

        var seconds = (double?)summary["trainingSeconds"] ?? 0;
        var text = alreadyTrained
            ? $"{id}@{version}: already trained ({summary["steps"]} steps); nothing to do (--restart trains it again)"
            : $"{id}@{version}: trained {summary["steps"]} steps in {TimeSpan.FromSeconds(seconds):h\\:mm\\:ss}, added to your styles; render with --style {id}";
        await context.Out.WriteLineAsync(text).ConfigureAwait(false);
        return CliApp.Ok;
    }

    private static void CheckName(string id, string modelsDirectory)
    {
        if (!NamePattern().IsMatch(id))
        {
            throw new RotoscopeException($"'{id}' is not a style name: use lower-case letters, digits and dashes (at most 40), starting with a letter or digit");
        }

        if (StyleCatalog.Load(modelsDirectory).Styles.Any(s => s.Id == id))
        {
            throw new RotoscopeException($"'{id}' is a built-in style; choose another --name");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex NamePattern();

    private sealed record Registered(string Id, string Version, StyleTrainer.RunRecord Run, JsonObject Summary);

    /// <summary>The live progress line: rewritten in place on a terminal (stderr), a plain line every few seconds otherwise (stdout).</summary>
    internal sealed class TrainingView(CliContext context, bool quiet) : IProgress<TrainingProgress>
    {
        private TimeSpan? lastLine;
        private bool live;

        public void Report(TrainingProgress value)
        {
            if (quiet)
            {
                return;
            }

            var line = Describe(value);
            if (context.ErrorIsTerminal)
            {
                context.Error.Write($"\r{line}\u001b[K");
                live = true;
            }
            else if (lastLine is null || value.Elapsed - lastLine >= PlainInterval || value.Step == value.Steps)
            {
                context.Out.WriteLine(line);
                lastLine = value.Elapsed;
            }
        }

        /// <summary>A line that is not progress, where progress goes.</summary>
        public void Notice(string text) => (context.ErrorIsTerminal ? context.Error : context.Out).WriteLine(text);

        public void Finish()
        {
            if (live)
            {
                context.Error.WriteLine();
            }
        }

        private static string Describe(TrainingProgress p)
        {
            var text = string.Create(
                CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.Steps}  loss {p.Loss.Total:0.###} (style {p.Loss.Style:0.###}, content {p.Loss.Content:0.###}, tv {p.Loss.Variation:0.#}, stability {p.Loss.Stability:0.####})");
            if (p.StepsPerSecond > 0)
            {
                text += string.Create(CultureInfo.InvariantCulture, $"  {p.StepsPerSecond:0.##} steps/s");
            }

            if (p.Remaining is { } remaining)
            {
                text += $"  ETA {(int)remaining.TotalHours}:{remaining:mm\\:ss}";
            }

            return p.ResumedFrom > 0 ? $"{text}  (resumed at {p.ResumedFrom})" : text;
        }
    }
}
