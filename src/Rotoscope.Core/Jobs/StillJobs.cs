using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Rotoscope.Core.Stills;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Stylize batches as Hangfire jobs, on the same servers, queues and retry policy as render jobs. Arguments are plain
/// values (job, run, batch); the plan and the batch's images come from the frame store.
/// </summary>
public sealed class StillJobs(IBlobStore store, StillStylizer stylizer)
{
    /// <summary>Job: styles the images of batch <paramref name="batchId"/>; safe to run again (it then does nothing).</summary>
    public async Task StylizeAsync(string jobId, string run, string batchId, CancellationToken cancellationToken)
    {
        // A batch with a result is done; one whose records were compacted away (a late duplicate delivery) too.
        if (await store.ExistsAsync(StillPlan.ResultKeyOf(jobId, batchId), cancellationToken).ConfigureAwait(false)
            || await store.TryReadJsonAsync<StillBatch>(StillPlan.BatchKeyOf(jobId, batchId), cancellationToken).ConfigureAwait(false) is not { } batch)
        {
            return;
        }

        var plan = await store.ReadJsonAsync<StillPlan>(StillPlan.PlanKeyOf(jobId, run), cancellationToken).ConfigureAwait(false);
        await stylizer.StylizeAsync(plan, batch, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Enqueues stylize batches and reads how their jobs stand.</summary>
public sealed class StillScheduler(IBackgroundJobClient client, JobStorage storage)
{
    private const string JobField = "job";

    /// <summary>
    /// Enqueues batch <paramref name="batchId"/> on <paramref name="queue"/> and records its Hangfire job id with the
    /// job storage, where a later run (another client of the same fleet) finds it; returns the id.
    /// </summary>
    public string EnqueueBatch(string jobId, string run, string batchId, string queue)
    {
        var id = client.Create(Job.FromExpression<StillJobs>(jobs => jobs.StylizeAsync(jobId, run, batchId, CancellationToken.None)), new EnqueuedState(queue));
        using var connection = storage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.SetRangeInHash(KeyOf(jobId, batchId), [new KeyValuePair<string, string>(JobField, id)]);
        transaction.Commit();
        return id;
    }

    /// <summary>The Hangfire job recorded for a batch, or null when this job storage never saw it.</summary>
    public string? JobOf(string jobId, string batchId)
    {
        using var connection = storage.GetConnection();
        return connection.GetAllEntriesFromHash(KeyOf(jobId, batchId))?.GetValueOrDefault(JobField);
    }

    /// <summary>
    /// Drops the job ids recorded for batches whose records are gone from the store (folded into the manifest): nothing
    /// looks them up again, and a fleet's job database would otherwise keep one for every batch ever styled.
    /// </summary>
    public void Forget(string jobId, IEnumerable<string> batchIds)
    {
        ArgumentNullException.ThrowIfNull(batchIds);
        using var connection = storage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        foreach (var batchId in batchIds)
        {
            transaction.RemoveHash(KeyOf(jobId, batchId));
        }

        transaction.Commit();
    }

    /// <summary>Whether the batch's recorded job is queued, scheduled for a retry or running.</summary>
    public bool IsRunning(string jobId, string batchId)
    {
        if (JobOf(jobId, batchId) is not { } id)
        {
            return false;
        }

        using var connection = storage.GetConnection();
        var state = connection.GetStateData(id)?.Name;
        return state == EnqueuedState.StateName || state == ProcessingState.StateName || state == ScheduledState.StateName;
    }

    /// <summary>
    /// Why the job <paramref name="hangfireId"/> ended without doing its work (it failed for good, or was deleted), or
    /// null while it is queued, running, scheduled for a retry, or succeeded.
    /// </summary>
    public string? FailureOf(string hangfireId)
    {
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(hangfireId);
        if (state is null)
        {
            return "its job has expired";
        }

        if (state.Name == FailedState.StateName)
        {
            return state.Data.TryGetValue("ExceptionMessage", out var message) ? message : state.Reason ?? "failed";
        }

        return state.Name == DeletedState.StateName ? "its job was deleted" : null;
    }

    private static string KeyOf(string jobId, string batchId) => $"rotoscope:stills:{jobId}:{batchId}";
}
