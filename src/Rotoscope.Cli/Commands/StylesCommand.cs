using System.CommandLine;
using System.Text.Json;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Styles;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope styles [--json]</c>: list the style catalog.</summary>
internal static class StylesCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the catalog as JSON." };
        var gallery = new Option<string?>("--gallery") { Description = "Render one frame through every style into this JPEG: a labelled contact sheet." };
        var frame = new Option<string?>("--frame") { Description = "The frame (JPEG or PNG) for --gallery (default: a photo shipped in models/content)." };
        var only = new Option<string[]>("--only") { Description = "Only these styles in --gallery, in this order.", AllowMultipleArgumentsPerToken = true };
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command(
            "styles",
            "List the styles: built-in ones and those you trained (rotoscope train).\n\nExamples:\n  rotoscope styles --json\n  rotoscope styles --gallery styles.jpg --frame photo.jpg\n  rotoscope styles --gallery compare.jpg --only mosaic brush")
        {
            json, gallery, frame, only, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir));
            var catalog = StyleCatalog.Load(options.ModelsDirectory, UserStyles.DirectoryOf(options.DataDirectory));
            if (parse.GetValue(gallery) is { } sheet)
            {
                return await GalleryAsync(context, options, catalog, sheet, parse.GetValue(frame), parse.GetValue(only) ?? [], cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(json))
            {
                var entries = catalog.Styles.Select(s => new
                {
                    s.Id, s.Version, s.Title, s.Description, Kind = s.Kind, File = s.ModelPath, s.Sha256, Preview = s.PreviewPath, s.License, s.Origin,
                });
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(entries, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = context.OutConsole();
            var table = new Table().AddColumns("id", "version", "kind", "source", "title", "description");
            foreach (var style in catalog.Styles)
            {
                table.AddRow(Markup.Escape(style.Id), Markup.Escape(style.Version), style.Kind.ToString().ToLowerInvariant(), style.Origin == StyleOrigin.User ? "yours" : "built-in", Markup.Escape(style.Title), Markup.Escape(style.Description));
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }

    private static async Task<int> GalleryAsync(CliContext context, RotoscopeOptions options, StyleCatalog catalog, string output, string? framePath, string[] only, CancellationToken cancellationToken)
    {
        var styles = only.Length == 0
            ? catalog.Styles
            : [.. only.Select(id => catalog.Styles.FirstOrDefault(s => s.Id == id) ?? throw new StyleNotFoundException(id, NearMatches.Of(id, catalog.Styles.Select(s => s.Id))))];
        framePath ??= Path.Combine(options.ModelsDirectory, "content", "coffee.jpg");
        byte[] frame;
        try
        {
            frame = await File.ReadAllBytesAsync(framePath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RotoscopeException($"cannot read the frame {framePath}: {e.Message}", e);
        }

        if (ImageCodec.Detect(frame) is null)
        {
            throw new RotoscopeException($"the frame {framePath} is not a JPEG or PNG image");
        }

        using var runner = new StyleRunner(options.Inference);
        var done = 0;
        var progress = new Progress<string>(id => context.Error.WriteLine($"gallery: {++done}/{styles.Count} {id}"));
        var sheet = await StyleGallery.RenderAsync(runner, frame, styles, context.ErrorIsTerminal ? progress : null, cancellationToken).ConfigureAwait(false);
        var full = Path.GetFullPath(output);
        var partial = $"{full}.partial";
        await File.WriteAllBytesAsync(partial, sheet, cancellationToken).ConfigureAwait(false);
        File.Move(partial, full, overwrite: true);
        await context.Out.WriteLineAsync($"{styles.Count} styles on {Path.GetFileName(framePath)}: {output}").ConfigureAwait(false);
        return CliApp.Ok;
    }
}
