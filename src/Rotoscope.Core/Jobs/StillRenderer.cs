using System.Globalization;
using Hangfire.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Stills;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Runs a stylize: plans it, records its batches in the frame store, enqueues them as jobs (in this process on an
/// in-memory Hangfire storage, or on a fleet's PostgreSQL database), follows their results in the store, and folds them
/// into the job's manifest at the end.
/// </summary>
public static class StillRenderer
{
    /// <summary>
    /// Stylizes <paramref name="request"/>: on a fleet when <paramref name="postgres"/> is given (with
    /// <paramref name="detach"/>, returning once the batches are queued), else here. <paramref name="started"/> receives
    /// the run's tracker once the work is known (for a progress view); <paramref name="notice"/> hears about waits for
    /// another process.
    /// </summary>
    public static async Task<StillRun> RunAsync(
        RotoscopeOptions options,
        StillRequest request,
        string? postgres,
        bool detach,
        Action<StillTracker>? started,
        Action<string>? notice,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(request);
        using var memory = postgres is null ? new InMemoryStorage() : null;
        await using var services = postgres is null
            ? new ServiceCollection().AddRotoscope(options).AddRenderJobs(memory!, retryAttempts: 0).BuildServiceProvider()
            : FleetStorage.Compose(options, postgres);
        using var server = postgres is null ? RenderJobServices.StartServer(services, options.ConcurrentJobs) : null;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // One stylize at a time writes a folder; the same one asked again waits, then finds everything done.
            var owner = $"stylize {request.Style} into {request.Output}";
            using var ownership = await services.GetRequiredService<RenderLocks>().AcquireAsync(StillStores.IdentityOf(request.Output), request.Output, owner, owner, notice ?? (_ => { }), run.Token).ConfigureAwait(false);
            return await RunPlannedAsync(services, request with { Shared = postgres is not null && options.FrameStore is not null }, postgres is null ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1), detach, started, run.Token).ConfigureAwait(false);
        }
        finally
        {
            // Stop what is left of this run's jobs (after a failure or Ctrl+C) and wait for them: nothing writes after
            // we return. A fleet's jobs go on.
            await run.CancelAsync().ConfigureAwait(false);
            if (server is not null)
            {
                server.SendStop();
                await server.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task<StillRun> RunPlannedAsync(IServiceProvider services, StillRequest request, TimeSpan poll, bool detach, Action<StillTracker>? started, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IBlobStore>();
        var records = services.GetRequiredService<StillRecords>();
        var runner = services.GetRequiredService<StyleRunner>();
        var scheduler = services.GetRequiredService<StillScheduler>();
        var work = await services.GetRequiredService<StillPlanner>().PlanAsync(request, scheduler.IsRunning, cancellationToken).ConfigureAwait(false);
        var plan = work.Plan;

        // A model that cannot load fails here, before any job.
        runner.Prepare(plan.Chain);
        var tracker = new StillTracker(work.Images, work.Skipped);
        started?.Invoke(tracker);

        var runId = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMddHHmmss}{Random.Shared.Next(0x10000):x4}");
        var batches = StillPlanner.Batches(work.Pending, request.BatchSize, runId);
        var jobs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in work.InFlight)
        {
            // Recorded whatever its state now: one that ended since planning has its result, or its failure, to read.
            if (scheduler.JobOf(plan.JobId, batch.BatchId) is { } recorded)
            {
                jobs[batch.BatchId] = recorded;
            }
        }

        if (batches.Count > 0)
        {
            // Recorded before any job runs: the batches claim their outputs (see StillRecords).
            await store.WriteJsonAsync(StillPlan.PlanKeyOf(plan.JobId, runId), plan, cancellationToken).ConfigureAwait(false);
            foreach (var batch in batches)
            {
                await store.WriteJsonAsync(StillPlan.BatchKeyOf(plan.JobId, batch.BatchId), batch, cancellationToken).ConfigureAwait(false);
            }

            var queue = RenderScheduler.QueueOf(plan.Device);
            foreach (var batch in batches)
            {
                jobs[batch.BatchId] = scheduler.EnqueueBatch(plan.JobId, runId, batch.BatchId, queue);
            }
        }

        if (detach)
        {
            return new StillRun(plan.JobId, null, work.Pending.Count + work.InFlight.Sum(b => b.Images.Count), runner.Notes.ToList());
        }

        await FollowAsync(services, plan, jobs, tracker, poll, cancellationToken).ConfigureAwait(false);

        // This run's results (and any a crashed run left) go into the manifest.
        var results = (await records.ResultsAsync(plan.JobId, cancellationToken).ConfigureAwait(false)).Where(r => jobs.ContainsKey(r.BatchId)).ToList();
        scheduler.Forget(plan.JobId, await records.CompactAsync(plan.JobId, cancellationToken).ConfigureAwait(false));
        var outcomes = results.SelectMany(r => r.Outcomes).ToList();
        var progress = tracker.Progress;
        var styled = outcomes.Count(o => o.Error is null);
        var result = new StillResult(
            plan.JobId,
            request.Input,
            request.Output,
            work.Images,
            styled,
            work.Skipped,
            [.. outcomes.Where(o => o.Error is not null).Select(o => new StillFailure(StillStores.Display(plan.InputRoot, o.Name), o.Error!))],
            work.NotImages,
            Math.Round(progress.Elapsed.TotalSeconds, 3),
            Math.Round(styled / Math.Max(progress.Elapsed.TotalSeconds, 1e-6), 3),
            [.. plan.Styles.Select(s => new RenderedStyle(s.Id, s.Version, s.Sha256))])
        {
            Strength = plan.Adjustment.Strength,
            KeepColors = plan.Adjustment.KeepColors,
        };
        return new StillRun(plan.JobId, result, 0, runner.Notes.ToList());
    }

    // Results land in the store (written by this process's jobs or by a fleet's workers); a job that ended without
    // one failed for a reason that is not one image's (the model, the store), which ends the run with that reason.
    private static async Task FollowAsync(IServiceProvider services, StillPlan plan, Dictionary<string, string> jobs, StillTracker tracker, TimeSpan poll, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IBlobStore>();
        var scheduler = services.GetRequiredService<StillScheduler>();
        var waiting = new HashSet<string>(jobs.Keys, StringComparer.Ordinal);
        while (waiting.Count > 0)
        {
            await foreach (var entry in store.ListAsync(StillPlan.ResultsPrefixOf(plan.JobId), cancellationToken).ConfigureAwait(false))
            {
                var batchId = Path.GetFileNameWithoutExtension(entry.Key.Value);
                if (waiting.Contains(batchId) && await store.TryReadJsonAsync<StillBatchResult>(entry.Key, cancellationToken).ConfigureAwait(false) is { } result)
                {
                    tracker.Add(result);
                    waiting.Remove(batchId);
                }
            }

            foreach (var batchId in waiting)
            {
                if (scheduler.FailureOf(jobs[batchId]) is { } reason
                    && !await store.ExistsAsync(StillPlan.ResultKeyOf(plan.JobId, batchId), cancellationToken).ConfigureAwait(false))
                {
                    throw new RotoscopeException(reason);
                }
            }

            if (waiting.Count > 0)
            {
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A stylize run's outcome: its result, or (detached on a fleet) how many images were queued.</summary>
public sealed record StillRun(string JobId, StillResult? Result, int Queued, IReadOnlyList<string> Notes);
