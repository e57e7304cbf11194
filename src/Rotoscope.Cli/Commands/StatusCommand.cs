using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;
using Spectre.Console;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope status [RENDER_ID]</c>: where renders stand, from their records in the frame store.</summary>
internal static class StatusCommand
{
    private const int Recent = 20;

    public static Command Create(CliContext context)
    {
        var renderId = new Argument<string?>("render") { Description = "A render id (default: the most recent renders).", Arity = ArgumentArity.ZeroOrOne };
        var frameStore = new Option<string?>("--store") { Description = "The frame store the render uses (default: data://)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("status", "Show where a render stands (queued, stylizing, assembling, succeeded, failed with its reason), or the most recent renders.")
        {
            renderId, frameStore, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            await using var services = new ServiceCollection().AddRotoscope(options).BuildServiceProvider();
            var store = services.GetRequiredService<IBlobStore>();
            List<RenderStatus> statuses = [];
            if (parse.GetValue(renderId) is { } id)
            {
                statuses.Add(await RenderStatus.ReadAsync(store, id, cancellationToken).ConfigureAwait(false)
                    ?? throw new RotoscopeException($"no render '{id}' in {store.Description}"));
            }
            else
            {
                statuses = [.. await new RenderStatusList(store).NewestAsync(Recent, cancellationToken).ConfigureAwait(false)];
            }

            if (parse.GetValue(json))
            {
                object shown = parse.GetValue(renderId) is null ? statuses : statuses[0];
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(shown, CommandOptions.Json)).ConfigureAwait(false);
                return CliApp.Ok;
            }

            if (statuses.Count == 0)
            {
                await context.Out.WriteLineAsync($"no renders in {store.Description}").ConfigureAwait(false);
                return CliApp.Ok;
            }

            var console = context.OutConsole();
            var table = new Table().AddColumn(new TableColumn("render").NoWrap()).AddColumns("state", "frames", "styles", "output", "updated");
            foreach (var s in statuses)
            {
                var state = s.Reason is { } reason ? $"{s.State}: {reason}" : s.State;
                table.AddRow(s.RenderId, Markup.Escape(state), $"{s.FramesStyled}/{s.Frames}", Markup.Escape(s.Styles), Markup.Escape(s.Output), s.Updated.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }
}
