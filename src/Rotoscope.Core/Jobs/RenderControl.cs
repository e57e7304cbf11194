using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// What a person may do to a render from outside it (the dashboard, a command): cancel it, or run it again. Both act
/// on the render's records in the store, which the client following it, <c>status</c> and the dashboard all read.
/// </summary>
public sealed class RenderControl(RenderScheduler scheduler, IBlobStore store)
{
    /// <summary>
    /// Cancels a render that is still running: records the cancellation (<c>failure.json</c> with
    /// <see cref="RenderFailure.Cancelled"/> and <paramref name="reason"/>, which the client following it prints), then
    /// deletes its queued and running jobs. Returns false when the render is unknown or has already ended.
    /// </summary>
    public async Task<bool> CancelAsync(string renderId, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (await RenderStatus.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false) is not { IsActive: true })
        {
            return false;
        }

        // The record first: a step that starts after this reads it and stops (RenderJobs), so jobs enqueued while the
        // running ones wind down do nothing.
        await store.WriteJsonAsync(RenderPlan.FailureKeyOf(renderId), new RenderFailure(reason, DateTimeOffset.UtcNow, Cancelled: true), cancellationToken).ConfigureAwait(false);
        scheduler.CancelRender(renderId);
        return true;
    }

    /// <summary>
    /// Runs a failed or cancelled render again from its plan in the store (a new run that skips what the store holds);
    /// returns its first job's id, or null when the render is unknown or did not fail.
    /// </summary>
    public async Task<string?> RetryAsync(string renderId, CancellationToken cancellationToken)
    {
        if (await RenderStatus.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false) is not { State: "failed" or "cancelled" })
        {
            return null;
        }

        // The plan written again, unchanged, dates the new run (RenderStatus.Started); the old outcome goes, as when
        // the same render is requested again (RenderService).
        var plan = await store.ReadAllBytesAsync(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false);
        await store.WriteAllBytesAsync(RenderPlan.PlanKeyOf(renderId), plan, cancellationToken).ConfigureAwait(false);
        await store.DeleteAsync(RenderPlan.FailureKeyOf(renderId), cancellationToken).ConfigureAwait(false);
        var device = (await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false)).Device;
        return scheduler.EnqueueRender(renderId, RenderScheduler.QueueOf(device));
    }
}
