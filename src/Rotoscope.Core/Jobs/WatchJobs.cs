using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Media;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Review;
using Rotoscope.Core.Storage;
using Rotoscope.Core.Styles;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// The fleet's recurring watches as Hangfire jobs: a pass of a folder watch (new videos are enqueued as renders) and a
/// pass of the review watcher (decisions recorded, approved outputs published once). Each pass holds its
/// <see cref="PassLocks">lock</see>: a run that finds it held ends at once, as the holder does its work.
/// </summary>
/// <remarks>The watch's definition travels as JSON text in the job's arguments: plain values, nothing to look up.</remarks>
public sealed class WatchJobs(FolderWatcher watcher, ReviewWatcher reviews, PassLocks locks, RenderService renders, RenderScheduler scheduler, RenderMonitor monitor)
{
    /// <summary>The lock a review watcher holds while it looks (every root shares one: records are rewritten whole).</summary>
    public const string ReviewLock = "review-watch";

    /// <summary>The lock of folder watch <paramref name="watchId"/>.</summary>
    public static string WatchLock(string watchId) => $"watch-{watchId}";

    /// <summary>Job: one pass of the folder watch <paramref name="definition"/> (JSON of a <see cref="WatchDefinition"/>).</summary>
    public async Task WatchFolderAsync(string definition, CancellationToken cancellationToken)
    {
        var watch = JsonSerializer.Deserialize<WatchDefinition>(definition) ?? throw new RotoscopeException("the watch's definition is empty");
        using var held = await locks.TryAcquireAsync(WatchLock(watch.Id), cancellationToken).ConfigureAwait(false);
        if (held is not null)
        {
            await watcher.PassAsync(watch, EnqueueAsync, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Job: one look of the review watcher at every root (or <paramref name="rootUri"/>).</summary>
    public async Task WatchReviewsAsync(string? rootUri, CancellationToken cancellationToken)
    {
        using var held = await locks.TryAcquireAsync(ReviewLock, cancellationToken).ConfigureAwait(false);
        if (held is not null)
        {
            await reviews.CheckOnceAsync(rootUri, cancellationToken).ConfigureAwait(false);
        }
    }

    // As `render --fleet --detach` does: plan here, input into the frame store, the render into the queue. A render is
    // owned by its id, so enqueuing one that runs (a pass repeated after a crash) joins it.
    private async Task<WatchEvent> EnqueueAsync(RenderRequest request, CancellationToken cancellationToken)
    {
        PreparedRender prepared;
        try
        {
            prepared = await renders.PrepareAsync(request with { Shared = true }, _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRenderFailure(e))
        {
            return new WatchEvent(request.Input, WatchOutcome.Failed, $"failed: {e.Message}");
        }

        using (prepared)
        {
            var plan = prepared.Plan;
            try
            {
                if (prepared.AlreadyRendered)
                {
                    return new WatchEvent(request.Input, WatchOutcome.Rendered, $"already rendered to {plan.Output}", plan.RenderId, plan.Output);
                }

                scheduler.EnqueueRender(plan.RenderId, RenderScheduler.QueueOf(plan.Device));
                return new WatchEvent(request.Input, WatchOutcome.Queued, $"queued render {plan.RenderId} to {plan.Output}", plan.RenderId, plan.Output);
            }
            finally
            {
                // The render's jobs (here or on another worker) must not follow this pass's cancellation.
                monitor.Forget(plan.RenderId);
            }
        }
    }

    /// <summary>Whether <paramref name="error"/> fails this input's render for good (as opposed to the pass: a lost connection).</summary>
    public static bool IsRenderFailure(Exception error) =>
        error is RotoscopeException or MediaException or StyleNotFoundException or OnnxRuntimeException or ImageCodecException or BlobNotFoundException;
}

/// <summary>The recurring watches registered on a fleet's job storage: folder watches and the review watcher.</summary>
public sealed class RecurringWatches(JobStorage storage, IJobFilterProvider filters)
{
    /// <summary>The recurring job id of every folder watch starts so.</summary>
    public const string FolderPrefix = "rotoscope-watch-";

    /// <summary>The recurring job id of the review watcher of every root (or of one root: with its identity's hash).</summary>
    public const string ReviewPrefix = "rotoscope-review-watch";

    /// <summary>
    /// Registers (or updates) <paramref name="watch"/> to run at <paramref name="cron"/> on the CPU queue's workers, and
    /// runs its first pass now. Returns the recurring job's id.
    /// </summary>
    public string AddFolderWatch(WatchDefinition watch, string cron)
    {
        ArgumentNullException.ThrowIfNull(watch);
        var definition = JsonSerializer.Serialize(watch);
        var job = Job.FromExpression<WatchJobs>(jobs => jobs.WatchFolderAsync(definition, CancellationToken.None), RenderScheduler.CpuQueue);
        return AddAndTrigger(FolderPrefix + watch.Id, job, cron);
    }

    /// <summary>Registers (or updates) the review watcher to look at <paramref name="cron"/>, and has it look now. Returns its id.</summary>
    public string AddReviewWatch(string? rootUri, string cron)
    {
        var id = rootUri is null ? ReviewPrefix : $"{ReviewPrefix}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ReviewRoot.Identity(rootUri))))[..16]}";
        var job = Job.FromExpression<WatchJobs>(jobs => jobs.WatchReviewsAsync(rootUri, CancellationToken.None), RenderScheduler.CpuQueue);
        return AddAndTrigger(id, job, cron);
    }

    /// <summary>Removes the recurring watch <paramref name="id"/>; false when there is none.</summary>
    public bool Remove(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (!List().Any(w => w.Id == id))
        {
            return false;
        }

        new RecurringJobManager(storage, filters).RemoveIfExists(id);
        return true;
    }

    /// <summary>The registered watches, folder watches with their definitions.</summary>
    public IReadOnlyList<RegisteredWatch> List()
    {
        using var connection = storage.GetConnection();
        return connection.GetRecurringJobs()
            .Where(j => j.Id.StartsWith(FolderPrefix, StringComparison.Ordinal) || j.Id.StartsWith(ReviewPrefix, StringComparison.Ordinal))
            .Select(j => new RegisteredWatch(
                j.Id,
                j.Cron,
                j.Job?.Args is [string definition, ..] && j.Id.StartsWith(FolderPrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<WatchDefinition>(definition) : null,
                j.Id.StartsWith(ReviewPrefix, StringComparison.Ordinal) ? j.Job?.Args is [string root, ..] ? root : "every review root" : null,
                j.LastExecution,
                j.NextExecution,
                j.LastJobState))
            .OrderBy(w => w.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// A cron expression for passes every <paramref name="interval"/>: whole minutes (1–59), whole hours (1–23) or a day.
    /// </summary>
    public static string CronOf(TimeSpan interval) => interval switch
    {
        { TotalMinutes: 1 } => Cron.Minutely(),
        { Seconds: 0, Milliseconds: 0, TotalMinutes: > 1 and < 60 } => $"*/{interval.Minutes} * * * *",
        { Minutes: 0, Seconds: 0, Milliseconds: 0, TotalHours: >= 1 and < 24 } => $"0 */{interval.Hours} * * *",
        { TotalDays: 1 } => Cron.Daily(),
        _ => throw new RotoscopeException($"a fleet's watch runs every whole minute (1m to 59m), hour (1h to 23h) or day (24h), not every {interval}"),
    };

    // Hangfire's recurring jobs run on the minute at best: the first pass runs now, not a minute from now.
    private string AddAndTrigger(string id, Job job, string cron)
    {
        var manager = new RecurringJobManager(storage, filters);
        manager.AddOrUpdate(id, job, cron, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        manager.TriggerJob(id);
        return id;
    }
}

/// <summary>A recurring watch on the fleet: a folder watch (<paramref name="Folder"/>) or the review watcher (<paramref name="ReviewRoot"/>).</summary>
public sealed record RegisteredWatch(string Id, string Cron, WatchDefinition? Folder, string? ReviewRoot, DateTime? LastRun, DateTime? NextRun, string? LastState);

/// <summary>Registers the watchers beside a render node's parts (<c>AddRotoscope</c> and <c>AddReviews</c> first).</summary>
public static class WatchServices
{
    /// <summary>
    /// Adds <see cref="FolderWatcher"/> and <see cref="PassLocks"/> (lock files under the data store's locks/, and on a
    /// fleet also PostgreSQL locks on <paramref name="postgres"/>), and, for a fleet (<c>AddRenderJobs</c>), the
    /// recurring jobs and their registration.
    /// </summary>
    public static IServiceCollection AddWatches(this IServiceCollection services, string? postgres = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new PassLocks(Path.Combine(provider.GetRequiredService<LocalBlobStore>().Root, "locks"), postgres));
        services.AddSingleton<FolderWatcher>();
        services.AddSingleton<WatchJobs>();
        services.AddSingleton<RecurringWatches>();
        return services;
    }
}
