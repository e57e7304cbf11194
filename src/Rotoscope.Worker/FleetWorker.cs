using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Worker;

/// <summary>
/// A fleet worker: a Hangfire server on the fleet's PostgreSQL job storage that runs render steps (split, stylize,
/// assemble) with the frames in a shared store, until it is told to stop.
/// </summary>
public static class FleetWorker
{
    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> fires (Ctrl+C, SIGTERM), then stops taking jobs, cancels the
    /// running ones (Hangfire gives them back to the queue for another worker) and returns once they have stopped.
    /// </summary>
    public static async Task RunAsync(RotoscopeOptions options, string postgres, int concurrency, IReadOnlyList<string> queues, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        await using var services = FleetStorage.Compose(options, postgres);
        services.GetRequiredService<ScratchSpace>().SweepAbandoned();
        using var server = RenderJobServices.StartServer(services, concurrency, queues);
        RenderJobServices.ScheduleSweep(services, queues[0]);
        log($"worker {Environment.MachineName}:{Environment.ProcessId} runs {concurrency} jobs at once from the {string.Join(" and ", queues)} queue{(queues.Count > 1 ? "s" : "")}, frames in {services.GetRequiredService<Rotoscope.Core.Storage.IBlobStore>().Description}");
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        log("stopping: running jobs go back to the queue");
        server.SendStop();
        await server.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
