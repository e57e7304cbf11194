using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core.Styles;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope styles [--json]</c>: list the style catalog.</summary>
internal static class StylesCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the catalog as JSON." };
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("styles", "List the styles: built-in ones and those you trained (rotoscope train).") { json, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir));
            var catalog = StyleCatalog.Load(options.ModelsDirectory, UserStyles.DirectoryOf(options.DataDirectory));
            if (parse.GetValue(json))
            {
                var entries = catalog.Styles.Select(s => new
                {
                    s.Id, s.Version, s.Title, s.Description, Kind = s.Kind, File = s.ModelPath, s.Sha256, Preview = s.PreviewPath, s.License, s.Origin,
                });
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(entries, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Out) });
            var table = new Table().AddColumns("id", "version", "kind", "source", "description");
            foreach (var style in catalog.Styles)
            {
                table.AddRow(Markup.Escape(style.Id), Markup.Escape(style.Version), style.Kind.ToString().ToLowerInvariant(), style.Origin == StyleOrigin.User ? "yours" : "built-in", Markup.Escape(style.Description));
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }
}
