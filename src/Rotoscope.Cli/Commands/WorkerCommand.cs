using System.CommandLine;
using Rotoscope.Core;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Jobs;
using Rotoscope.Worker;

namespace Rotoscope.Cli.Commands;

/// <summary><c>rotoscope worker</c>: run render jobs for a fleet whose jobs are in PostgreSQL.</summary>
internal static class WorkerCommand
{
    /// <summary>Where the job database's connection string is read when the command line does not give it (keeps the password out of process lists).</summary>
    public const string PostgresVariable = "ROTOSCOPE_POSTGRES";

    internal static readonly string[] Examples =
    [
        "rotoscope worker --postgres \"Host=db;Database=rotoscope;Username=rotoscope;Password=…\" --store s3+frames://rotoscope/",
        "ROTOSCOPE_POSTGRES=\"Host=db;…\" rotoscope worker --store s3+frames://rotoscope/ --concurrency 4",
    ];

    public static Command Create(CliContext context)
    {
        var postgres = Postgres();
        var frameStore = new Option<string?>("--store") { Description = "The frame store the fleet shares (s3://bucket/prefix/, s3+label://prefix/; default data://, enough for workers on one machine)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Jobs run at once.", DefaultValueFactory = _ => 2 };
        concurrency.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--concurrency must be at least 1"); } });
        var device = CommandOptions.Device();
        var queues = new Option<string[]>("--queues")
        {
            Description = "Which renders to take: gpu (renders asked with --device cuda), cpu (all others), or both (default: gpu with --device cuda, else cpu).",
            AllowMultipleArgumentsPerToken = true,
        };
        queues.AcceptOnlyFromAmong(RenderScheduler.CpuQueue, RenderScheduler.GpuQueue);
        var threads = CommandOptions.Threads();
        var dataDir = CommandOptions.DataDirectory();
        var command = new Command("worker", $"Run render jobs for a fleet: renders enqueued with 'render --fleet' on the same PostgreSQL database.\n\nExamples:\n  {string.Join("\n  ", Examples)}")
        {
            postgres, frameStore, concurrency, queues, device, threads, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = CommandOptions.Resolve(context, parse.GetValue(dataDir)) with
            {
                FrameStore = parse.GetValue(frameStore),
                Inference = new InferenceOptions(parse.GetValue(device), parse.GetValue(threads)),
            };
            var connection = ConnectionOf(context, parse.GetValue(postgres));
            string[] served = parse.GetValue(queues) is { Length: > 0 } given
                ? [.. given.Distinct()]
                : [options.Inference.Device == InferenceDevice.Cuda ? RenderScheduler.GpuQueue : RenderScheduler.CpuQueue];
            await FleetWorker.RunAsync(options, connection, parse.GetValue(concurrency), served, line => context.Error.WriteLine($"rotoscope worker: {line}"), cancellationToken).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>The <c>--postgres</c> option.</summary>
    public static Option<string?> Postgres() =>
        new("--postgres") { Description = $"The job database, as an Npgsql connection string (default: ${PostgresVariable})." };

    /// <summary>The connection string given, or the one in <see cref="PostgresVariable"/>.</summary>
    public static string ConnectionOf(CliContext context, string? given) =>
        given ?? (context.Environment.TryGetValue(PostgresVariable, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new RotoscopeException($"no job database: give --postgres CONNECTION or set ${PostgresVariable}"));
}
