using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core;
using Rotoscope.Core.Jobs;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope cancel RENDER_ID</c>: stop a fleet render; the client following it says it was cancelled.</summary>
internal static class CancelCommand
{
    public static Command Create(CliContext context)
    {
        var renderId = new Argument<string>("render") { Description = "The render id (see 'rotoscope status')." };
        var postgres = WorkerCommand.Postgres();
        var frameStore = new Option<string?>("--store") { Description = "The frame store the render uses (default: data://)." };
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("cancel", "Cancel a render running on a fleet: its queued and running jobs are deleted, and 'status' says cancelled.")
        {
            renderId, postgres, frameStore, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            await using var services = FleetStorage.Compose(options, WorkerCommand.ConnectionOf(context, parse.GetValue(postgres)));
            var id = parse.GetValue(renderId)!;
            if (!await services.GetRequiredService<RenderControl>().CancelAsync(id, "cancelled with 'rotoscope cancel'", cancellationToken).ConfigureAwait(false))
            {
                throw new RotoscopeException($"render '{id}' is not running (see 'rotoscope status {id}')");
            }

            await context.Out.WriteLineAsync($"cancelled render {id}").ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }
}
