using Hangfire.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Runs one render in this process: the embedded, no-servers mode. Its jobs go to a Hangfire in-memory storage of its
/// own and run on a Hangfire server inside this process.
/// </summary>
public static class LocalRenderer
{
    /// <summary>
    /// Renders <paramref name="request"/> and waits for it; <paramref name="follow"/> (e.g. a progress view) waits in its
    /// own way and returns the result; <paramref name="notice"/> hears about waits for another process. Returns the
    /// result and notes for the user (e.g. a CUDA fallback).
    /// </summary>
    public static async Task<(RenderResult Result, IReadOnlyList<string> Notes)> RenderAsync(
        RotoscopeOptions options,
        RenderRequest request,
        Func<PreparedRender, CancellationToken, Task<RenderResult>>? follow,
        Action<string>? notice,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var storage = new InMemoryStorage();
        await using var services = new ServiceCollection()
            .AddRotoscope(options)
            .AddRenderJobs(storage, retryAttempts: 0)
            .BuildServiceProvider();
        services.GetRequiredService<ScratchSpace>().SweepAbandoned();

        // Started before planning, so its threads are up by the time the split is enqueued.
        using var server = RenderJobServices.StartServer(services, options.ConcurrentJobs);
        using var render = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        PreparedRender? prepared = null;
        try
        {
            prepared = await services.GetRequiredService<RenderService>().PrepareAsync(request, notice ?? (_ => { }), render.Token).ConfigureAwait(false);
            try
            {
                if (!prepared.AlreadyRendered)
                {
                    services.GetRequiredService<RenderScheduler>().EnqueueRender(prepared.Plan.RenderId, RenderScheduler.QueueOf(prepared.Plan.Device));
                }

                var result = follow is null
                    ? await prepared.Tracker.Completion.WaitAsync(render.Token).ConfigureAwait(false)
                    : await follow(prepared, render.Token).ConfigureAwait(false);
                return (result, services.GetRequiredService<StyleRunner>().Notes.ToList());
            }
            finally
            {
                services.GetRequiredService<RenderMonitor>().Forget(prepared.Plan.RenderId);
            }
        }
        finally
        {
            // Stop the render's remaining jobs (after a failure or Ctrl+C) and wait for them: nothing writes after we
            // return. Jobs still queued are dropped with the storage.
            await render.CancelAsync().ConfigureAwait(false);
            server.SendStop();
            await server.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
            prepared?.Dispose();
        }
    }
}
