using Quartz;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Starts renders: plans the request, records the plan in the store and hands it to the scheduler.</summary>
public sealed class RenderService(RenderPlanner planner, IBlobStore store, ISchedulerFactory schedulers, RenderMonitor monitor, StyleRunner runner)
{
    /// <summary>Plans and enqueues <paramref name="request"/>; await the returned tracker's completion for the result.</summary>
    /// <remarks>Cancelling <paramref name="cancellationToken"/> later cancels the render's running jobs too.</remarks>
    public async Task<StartedRender> StartAsync(RenderRequest request, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(request, cancellationToken).ConfigureAwait(false);

        // Open the models now: a model that cannot load fails the request before any work or progress output.
        runner.Prepare(plan.Chain);
        await store.WriteJsonAsync(plan.PlanKey, plan, cancellationToken).ConfigureAwait(false);
        var tracker = monitor.Track(plan.RenderId, cancellationToken);
        var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
        await RenderJobs.EnqueueAsync(scheduler, plan.RenderId, cancellationToken).ConfigureAwait(false);
        return new StartedRender(plan, tracker);
    }
}

/// <summary>A render handed to the scheduler: its exact plan and its live progress.</summary>
public sealed record StartedRender(RenderPlan Plan, RenderTracker Tracker);
