using System.CommandLine;
using Rotoscope.Training.Filters;

namespace Rotoscope.Cli.Commands;

/// <summary>
/// <c>rotoscope models build-filters --models models</c> (hidden, for maintainers): rebuilds the filter styles' model.onnx,
/// preview.jpg and catalog.json entries in the repository's models folder from their C# definitions.
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
        return new Command("models", "Maintainer tools for the built-in models.") { Hidden = true, Subcommands = { buildFilters } };
    }
}
