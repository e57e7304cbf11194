using System.Security.Cryptography;
using Quartz;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Starts renders: plans the request, takes ownership of its output, and either finds it already rendered or records
/// the plan in the store and hands it to the scheduler.
/// </summary>
public sealed class RenderService(RenderPlanner planner, IBlobStore store, ISchedulerFactory schedulers, RenderMonitor monitor, StyleRunner runner, RenderLocks locks, Connectors connectors)
{
    /// <summary>Plans and enqueues <paramref name="request"/>; await the returned tracker's completion for the result.</summary>
    /// <remarks>
    /// Cancelling <paramref name="cancellationToken"/> later cancels the render's running jobs too. The caller disposes
    /// the returned render once its jobs have stopped, which releases the output. <paramref name="waiting"/> hears when
    /// the same render runs in another process and this one waits for it.
    /// </remarks>
    public async Task<StartedRender> StartAsync(RenderRequest request, Action<string> waiting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var plan = await planner.PlanAsync(request, cancellationToken).ConfigureAwait(false);
        var ownership = await locks.AcquireAsync(plan, waiting, cancellationToken).ConfigureAwait(false);
        try
        {
            var tracker = monitor.Track(plan.RenderId, cancellationToken);
            var existing = await OutputSha256Async(plan, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                if (await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false) is { } done
                    && done.OutputSha256 == existing)
                {
                    tracker.Complete(done with { AlreadyRendered = true, ElapsedSeconds = 0, FramesReused = done.Frames });
                    return new StartedRender(plan, tracker, ownership);
                }

                if (!request.Overwrite)
                {
                    throw new RotoscopeException($"{plan.Output} already exists and is not this render's result; pass --overwrite to replace it");
                }
            }

            // Open the models now: a model that cannot load fails the request before any work or progress output.
            runner.Prepare(plan.Chain);
            await store.WriteJsonAsync(plan.PlanKey, plan, cancellationToken).ConfigureAwait(false);
            var scheduler = await schedulers.GetScheduler(cancellationToken).ConfigureAwait(false);
            await RenderJobs.EnqueueAsync(scheduler, plan.RenderId, cancellationToken).ConfigureAwait(false);
            return new StartedRender(plan, tracker, ownership);
        }
        catch
        {
            ownership.Dispose();
            throw;
        }
    }

    // The content hash of what is at the output now, or null when nothing is.
    private async Task<string?> OutputSha256Async(RenderPlan plan, CancellationToken cancellationToken)
    {
        var output = MediaLocation.Parse(plan.Output);
        if (output is MediaLocation.LocalFile file)
        {
            return File.Exists(file.Path) ? await DurableFile.Sha256Async(file.Path, cancellationToken).ConfigureAwait(false) : null;
        }

        var (holder, key) = connectors.Resolve(output, forWrite: false);
        Stream content;
        try
        {
            content = await holder.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }

        await using (content.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));
        }
    }
}

/// <summary>A render handed to the scheduler (or found already done): its exact plan, its live progress, and the ownership of its output.</summary>
public sealed record StartedRender(RenderPlan Plan, RenderTracker Tracker, IDisposable Ownership) : IDisposable
{
    /// <summary>Releases the output for other renders.</summary>
    public void Dispose() => Ownership.Dispose();
}
