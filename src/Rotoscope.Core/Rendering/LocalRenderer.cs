using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Rotoscope.Core.Rendering;

/// <summary>Runs one render in this process on an in-memory scheduler: the embedded, no-servers mode.</summary>
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
        Func<StartedRender, CancellationToken, Task<RenderResult>>? follow,
        Action<string>? notice,
        CancellationToken cancellationToken)
    {
        await using var services = new ServiceCollection().AddRotoscope(options).BuildServiceProvider();
        services.GetRequiredService<ScratchSpace>().SweepAbandoned();
        var scheduler = await services.GetRequiredService<ISchedulerFactory>().GetScheduler(cancellationToken).ConfigureAwait(false);
        await scheduler.Start(cancellationToken).ConfigureAwait(false);
        using var render = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        StartedRender? started = null;
        try
        {
            started = await services.GetRequiredService<RenderService>().StartAsync(request, notice ?? (_ => { }), render.Token).ConfigureAwait(false);
            try
            {
                var result = follow is null
                    ? await started.Tracker.Completion.WaitAsync(render.Token).ConfigureAwait(false)
                    : await follow(started, render.Token).ConfigureAwait(false);
                return (result, services.GetRequiredService<StyleRunner>().Notes.ToList());
            }
            finally
            {
                services.GetRequiredService<RenderMonitor>().Forget(started.Plan.RenderId);
            }
        }
        finally
        {
            // Stop the render's remaining jobs (after a failure or Ctrl+C) and wait for them: nothing writes after we return.
            await render.CancelAsync().ConfigureAwait(false);
            await scheduler.Shutdown(waitForJobsToComplete: true, CancellationToken.None).ConfigureAwait(false);
            started?.Dispose();
        }
    }
}
