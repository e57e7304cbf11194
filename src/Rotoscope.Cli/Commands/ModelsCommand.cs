using System.CommandLine;
using Rotoscope.Training;
using Rotoscope.Training.Filters;
using Rotoscope.Training.StyleImages;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope models build-filters --models models</c> (hidden, for maintainers): rebuilds the filter styles' model.onnx,
/// preview.jpg and catalog.json entries in the repository's models folder from their C# definitions;
/// <c>models draw-styles</c> draws the procedural style images and <c>models build-styles</c> trains the neural styles.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext context)
    {
        var models = new Option<string>("--models") { Description = "The repository's models folder (catalog.json beside a folder per style).", Required = true };
        var only = new Option<string[]>("--only") { Description = "Filter ids to rebuild (default: all), e.g. --only toon ink.", AllowMultipleArgumentsPerToken = true };
        var buildFilters = new Command("build-filters", "Rebuild the filter styles (model.onnx, preview.jpg, catalog.json entries) from src/Rotoscope.Training/Filters.")
        {
            models, only,
        };
        buildFilters.SetAction(async (parse, cancellationToken) =>
        {
            var ids = parse.GetValue(only) ?? [];
            var filters = ids.Length == 0 ? BuiltInFilters.All : ids.Select(BuiltInFilters.Get).ToList();
            var directory = Path.GetFullPath(parse.GetValue(models)!);
            foreach (var written in BuiltInFilters.Write(directory, filters))
            {
                var state = written.Changed ? "written" : "unchanged";
                await context.Out.WriteLineAsync($"{written.Id}: {Path.GetRelativePath(directory, written.ModelPath)} {state}, sha256 {written.Sha256}").ConfigureAwait(false);
            }

            return CliApp.Ok;
        });
        return new Command("models", "Maintainer tools for the built-in models.") { Hidden = true, Subcommands = { buildFilters, DrawStyles(context), BuildStyles(context) } };
    }

    // Draws the style images our own code makes (src/Rotoscope.Training/StyleImages) into models/ID/style.jpg.
    private static Command DrawStyles(CliContext context)
    {
        var models = new Option<string>("--models") { Description = "The repository's models folder (catalog.json beside a folder per style).", Required = true };
        var only = new Option<string[]>("--only") { Description = "Style ids whose image to draw (default: every procedural one), e.g. --only fire neon.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("draw-styles", "Draw the procedural style images (models/ID/style.jpg) from src/Rotoscope.Training/StyleImages.")
        {
            models, only,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ids = parse.GetValue(only) ?? [];
            var images = ids.Length == 0 ? ProceduralStyleImages.All : ids.Select(ProceduralStyleImages.Get).ToList();
            var directory = Path.GetFullPath(parse.GetValue(models)!);
            foreach (var written in ProceduralStyleImages.Write(directory, images))
            {
                var state = written.Changed ? "written" : "unchanged";
                await context.Out.WriteLineAsync($"{written.Id}: {Path.GetRelativePath(directory, written.Path)} {state}, {written.Bytes / 1024.0:0} KB").ConfigureAwait(false);
            }

            return CliApp.Ok;
        });
        return command;
    }

    // Trains the neural built-ins as `rotoscope train` would, resuming an interrupted run from data://training/built-in/.
    private static Command BuildStyles(CliContext context)
    {
        var models = new Option<string>("--models") { Description = "The repository's models folder (catalog.json beside a folder per style).", Required = true };
        var only = new Option<string[]>("--only") { Description = "Neural style ids to train (default: all), e.g. --only mosaic.", AllowMultipleArgumentsPerToken = true };
        var missing = new Option<bool>("--missing") { Description = "Train only the styles whose catalog entry is missing or at another version (carry on after a stop)." };
        var threads = CommandOptions.Threads();
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("build-styles", "Train the neural built-in styles (model.onnx, preview.jpg, catalog.json entries) from models/ID/style.jpg and models/content.")
        {
            models, only, missing, threads, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir));
            var ids = parse.GetValue(only) ?? [];
            var styles = ids.Length == 0 ? BuiltInStyles.All : ids.Select(BuiltInStyles.Get).ToList();
            var directory = Path.GetFullPath(parse.GetValue(models)!);
            if (parse.GetValue(missing))
            {
                styles = [.. styles.Where(s => !BuiltInStyles.IsBuilt(directory, s))];
                await context.Out.WriteLineAsync($"{styles.Count} to train: {(styles.Count == 0 ? "none" : string.Join(", ", styles.Select(s => s.Id)))}").ConfigureAwait(false);
            }

            if (styles.Count == 0)
            {
                return CliApp.Ok;
            }

            var libTorch = LibTorch.DefaultDirectory(context.Environment, AppContext.BaseDirectory);
            LibTorch.Load(libTorch);
            foreach (var style in styles)
            {
                var view = new TrainCommand.TrainingView(context, quiet: false);
                var trained = await Task.Factory.StartNew(
                    () => BuiltInStyles.Train(directory, style, LibTorch.ResNet18Path(libTorch), Path.Combine(options.DataDirectory, "training", "built-in"), parse.GetValue(threads), view, cancellationToken),
                    cancellationToken,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).ConfigureAwait(false);
                view.Finish();
                await context.Out.WriteLineAsync($"{trained.Id}: {Path.GetRelativePath(directory, trained.ModelPath)} trained in {trained.TrainingSeconds:0} s, sha256 {trained.Sha256}").ConfigureAwait(false);
            }

            return CliApp.Ok;
        });
        return command;
    }
}
