using System.CommandLine;
using Rotoscope.Worker.Dashboard;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope dashboard</c>: Hangfire's pages and the Renders pages of a fleet, in a browser.</summary>
internal static class DashboardCommand
{
    /// <summary>Where the token is read unless <c>--token-env</c> names another variable.</summary>
    public const string TokenVariable = "ROTOSCOPE_DASHBOARD_TOKEN";

    internal static readonly string[] Examples =
    [
        "rotoscope dashboard --postgres \"Host=db;Database=rotoscope;Username=rotoscope;Password=…\"      # http://127.0.0.1:5080/",
        "ROTOSCOPE_DASHBOARD_TOKEN=… rotoscope dashboard --bind 0.0.0.0 --store s3+frames://rotoscope/ --read-only",
    ];

    public static Command Create(CliContext context)
    {
        var postgres = WorkerCommand.Postgres();
        var frameStore = new Option<string?>("--store") { Description = "The frame store the fleet shares, where renders are recorded (default: data://)." };
        var port = new Option<int>("--port") { Description = "The TCP port (0: any free one).", DefaultValueFactory = _ => 5080 };
        port.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 65535) { r.AddError("--port must be between 0 and 65535"); } });
        var bind = new Option<string>("--bind") { Description = "The address to serve on; any but the loopback needs a token.", DefaultValueFactory = _ => "127.0.0.1" };
        var tokenEnv = new Option<string>("--token-env") { Description = "The environment variable that holds the token a browser must present.", DefaultValueFactory = _ => TokenVariable };
        var readOnly = new Option<bool>("--read-only") { Description = "Show renders and jobs, but allow no action (cancel, retry, requeue, delete)." };
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("dashboard", $"Serve the fleet's dashboard: Hangfire's job pages and the Renders pages (progress, thumbnails, cancel, retry).\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            postgres, frameStore, port, bind, tokenEnv, readOnly, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var variable = parse.GetValue(tokenEnv)!;
            var settings = new DashboardSettings(
                parse.GetValue(bind)!,
                parse.GetValue(port),
                context.Environment.TryGetValue(variable, out var token) && !string.IsNullOrWhiteSpace(token) ? token.Trim() : null,
                variable,
                parse.GetValue(readOnly));
            settings.Address(); // refuses an unprotected bind before anything else is asked for
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with { FrameStore = parse.GetValue(frameStore) };
            var connection = WorkerCommand.ConnectionOf(context, parse.GetValue(postgres));
            await DashboardHost.RunAsync(options, connection, settings, line => context.Error.WriteLine($"rotoscope dashboard: {line}"), cancellationToken).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }
}
