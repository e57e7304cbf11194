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
        var buildFilters = Generator(
            context,
            "build-filters",
            "Rebuild the filter styles (model.onnx, preview.jpg, catalog.json entries) from src/Rotoscope.Training/Filters.",
            "Filter ids to rebuild (default: all), e.g. --only toon ink.",
            ids => ids.Length == 0 ? BuiltInFilters.All : [.. ids.Select(BuiltInFilters.Get)],
            (directory, filters) => BuiltInFilters.Write(directory, filters).Select(w =>
                $"{w.Id}: {Path.GetRelativePath(directory, w.ModelPath)} {(w.Changed ? "written" : "unchanged")}, sha256 {w.Sha256}"));

        // The style images our own code makes (src/Rotoscope.Training/StyleImages), into models/ID/style.jpg.
        var drawStyles = Generator(
            context,
            "draw-styles",
            "Draw the procedural style images (models/ID/style.jpg) from src/Rotoscope.Training/StyleImages.",
            "Style ids whose image to draw (default: every procedural one), e.g. --only fire neon.",
            ids => ids.Length == 0 ? ProceduralStyleImages.All : [.. ids.Select(ProceduralStyleImages.Get)],
            (directory, images) => ProceduralStyleImages.Write(directory, images).Select(w =>
                $"{w.Id}: {Path.GetRelativePath(directory, w.Path)} {(w.Changed ? "written" : "unchanged")}, {w.Bytes / 1024.0:0} KB"));

        return new Command("models", "Maintainer tools for the built-in models.") { Hidden = true, Subcommands = { buildFilters, drawStyles, BuildStyles(context) } };
    }

    private static Option<string> ModelsFolder() =>
        new("--models") { Description = "The repository's models folder (catalog.json beside a folder per style).", Required = true };

    private static Option<string[]> Only(string description) => new("--only") { Description = description, AllowMultipleArgumentsPerToken = true };

    // A subcommand that writes built-in items made by our own code (filters, style images): --only picks them, and
    // each written item gets one line.
    private static Command Generator<T>(CliContext context, string name, string description, string onlyDescription, Func<string[], IReadOnlyList<T>> pick, Func<string, IReadOnlyList<T>, IEnumerable<string>> write)
    {
        var models = ModelsFolder();
        var only = Only(onlyDescription);
        var command = new Command(name, description) { models, only };
        command.SetAction(async (parse, cancellationToken) =>
        {
            foreach (var line in write(Path.GetFullPath(parse.GetValue(models)!), pick(parse.GetValue(only) ?? [])))
            {
                await context.Out.WriteLineAsync(line).ConfigureAwait(false);
            }

            return CliApp.Ok;
        });
        return command;
    }

    // Trains the neural built-ins as `rotoscope train` would, resuming an interrupted run from data://training/built-in/.
    private static Command BuildStyles(CliContext context)
    {
        var models = ModelsFolder();
        var only = Only("Neural style ids to train (default: all), e.g. --only mosaic.");
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
