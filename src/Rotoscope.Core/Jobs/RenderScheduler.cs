using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Enqueues a render's jobs, each step at most once: one render, one set of jobs, however often a step is asked for (a
/// request repeated, a split re-run, two fan-in checks that both see every batch done).
/// </summary>
/// <remarks>
/// Open-source Hangfire has no batches, so the fan-in is ours: each step's job id is recorded in a hash of the render,
/// read and written under the render's distributed lock. Both are plain storage operations, so this holds on any
/// Hangfire storage (in memory for one process, a database shared by a fleet), not only the one in use. The records live
/// as long as the storage: in the embedded mode, one request.
/// </remarks>
public sealed class RenderScheduler(IBackgroundJobClient client, JobStorage storage)
{
    /// <summary>The queue render jobs go to.</summary>
    public const string Queue = EnqueuedState.DefaultQueue;

    // One small hash per step (not one per render holding every batch): reading it costs the same for batch 1 and 1000.
    private const string JobField = "job";

    // Held only for a read, a job creation and a write; a holder that died frees it after the storage's lock timeout.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Enqueues the first step of a planned render (its plan must already be in the store); returns its job id.</summary>
    public string EnqueueRender(string renderId) =>
        EnqueueOnce(renderId, "split", Job.FromExpression<RenderJobs>(jobs => jobs.SplitAsync(renderId, CancellationToken.None)));

    /// <summary>Enqueues the stylize job of <paramref name="batch"/>; returns its job id.</summary>
    public string EnqueueBatch(string renderId, FrameBatch batch) =>
        EnqueueOnce(
            renderId,
            string.Create(CultureInfo.InvariantCulture, $"batch-{batch.Index:D6}"),
            Job.FromExpression<RenderJobs>(jobs => jobs.StylizeAsync(renderId, batch.Index, batch.First, batch.Last, CancellationToken.None)));

    /// <summary>Enqueues the assembly, the fan-in of every batch; returns its job id.</summary>
    public string EnqueueAssembly(string renderId) =>
        EnqueueOnce(renderId, "assemble", Job.FromExpression<RenderJobs>(jobs => jobs.AssembleAsync(renderId, CancellationToken.None)));

    private string EnqueueOnce(string renderId, string step, Job job)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        using var connection = storage.GetConnection();
        using (connection.AcquireDistributedLock($"rotoscope:render:{renderId}", LockTimeout))
        {
            if (RecordedJob(connection, renderId, step) is { } recorded && !HasLapsed(connection, recorded))
            {
                return recorded;
            }

            var id = client.Create(job, new EnqueuedState(Queue));
            connection.SetRangeInHash(KeyOf(renderId, step), [new KeyValuePair<string, string>(JobField, id)]);
            return id;
        }
    }

    private static string KeyOf(string renderId, string step) => $"rotoscope:render:{renderId}:{step}";

    private static string? RecordedJob(IStorageConnection connection, string renderId, string step) =>
        connection.GetAllEntriesFromHash(KeyOf(renderId, step))?.GetValueOrDefault(JobField);

    // A recorded job that failed, was deleted or has expired no longer holds the step: asking again runs it anew (it
    // skips what the store already holds). One that succeeded does: its work is in the store.
    private static bool HasLapsed(IStorageConnection connection, string jobId) =>
        connection.GetStateData(jobId)?.Name is not { } state || state == FailedState.StateName || state == DeletedState.StateName;
}
