using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Rendering;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Enqueues a render's jobs, each step at most once: one render, one set of jobs, however often a step is asked for (a
/// request repeated, a split re-run, two fan-in checks that both see every batch done).
/// </summary>
/// <remarks>
/// Open-source Hangfire has no batches, so the fan-in is ours: each step's job id is recorded in a hash of the render,
/// read and written under the render's distributed lock. Both are plain storage operations, so this holds on any
/// Hangfire storage (in memory for one process, a database shared by a fleet), not only the one in use. The records of a
/// run are dropped when the render is requested again after the run ended.
/// </remarks>
public sealed class RenderScheduler(IBackgroundJobClient client, JobStorage storage)
{
    /// <summary>The queue of renders whose models run on a GPU: served by workers started with --device cuda.</summary>
    public const string GpuQueue = "gpu";

    /// <summary>The queue of every other render.</summary>
    public const string CpuQueue = "cpu";

    // One small hash per step (not one per render holding every batch): reading it costs the same for batch 1 and 1000.
    private const string JobField = "job";

    // Held only for a read, a job creation and a write; a holder that died frees it after the storage's lock timeout.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    // A render with a job in one of these states is running: a new request joins it instead of starting a run.
    private static readonly HashSet<string> RunningStates = [EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName];

    // The renders started and not yet seen to end, for the sweep (RenderJobs.SweepAsync).
    private const string ActiveRenders = "rotoscope:renders";

    /// <summary>
    /// Enqueues the first step of a planned render (its plan must already be in the store), unless the render is running
    /// (one of its jobs is queued, scheduled or being processed): then it returns the running render's first job. A render
    /// whose jobs have all ended (it succeeded, failed, or its output has gone since) starts a new run, whose steps are
    /// enqueued afresh; they skip what the store already holds. Returns the first job's id.
    /// </summary>
    public string EnqueueRender(string renderId, string queue = CpuQueue)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        var job = Job.FromExpression<RenderJobs>(jobs => jobs.SplitAsync(renderId, CancellationToken.None));
        using var connection = storage.GetConnection();
        using (connection.AcquireDistributedLock(LockOf(renderId), LockTimeout))
        {
            var steps = connection.GetAllItemsFromSet(StepsOf(renderId));
            if (IsRunning(connection, steps))
            {
                return RecordedJob(connection, KeyOf(renderId, "split")) ?? Record(connection, renderId, "split", job, queue);
            }

            // A new run: the ended run's records would stop its steps from being enqueued again.
            using (var transaction = connection.CreateWriteTransaction())
            {
                foreach (var step in steps)
                {
                    transaction.RemoveHash(step);
                    transaction.RemoveFromSet(StepsOf(renderId), step);
                }

                transaction.AddToSet(ActiveRenders, renderId);
                transaction.Commit();
            }

            return Record(connection, renderId, "split", job, queue);
        }
    }

    /// <summary>The renders started here and not yet <see cref="Forget">forgotten</see> (the sweep forgets those that ended).</summary>
    public IReadOnlyCollection<string> StartedRenders()
    {
        using var connection = storage.GetConnection();
        return connection.GetAllItemsFromSet(ActiveRenders);
    }

    /// <summary>Whether a job of the render's current run is queued, scheduled or being processed.</summary>
    public bool IsRunning(string renderId)
    {
        using var connection = storage.GetConnection();
        return IsRunning(connection, connection.GetAllItemsFromSet(StepsOf(renderId)));
    }

    /// <summary>Drops <paramref name="renderId"/> from <see cref="StartedRenders"/>: it ended.</summary>
    public void Forget(string renderId)
    {
        using var connection = storage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveFromSet(ActiveRenders, renderId);
        transaction.Commit();
    }

    /// <summary>The jobs of the render's current run, by step (<c>split</c>, <c>batch-000000</c>, …, <c>assemble</c>), with their Hangfire state.</summary>
    public IReadOnlyList<RenderStepJob> JobsOf(string renderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        using var connection = storage.GetConnection();
        return connection.GetAllItemsFromSet(StepsOf(renderId))
            .Select(step => (Step: step[(KeyOf(renderId, "").Length)..], Id: RecordedJob(connection, step)))
            .Where(job => job.Id is not null)
            .Select(job => new RenderStepJob(job.Step, job.Id!, connection.GetStateData(job.Id!)?.Name))
            .OrderBy(job => job.Step switch { "split" => 0, "assemble" => 2, _ => 1 })
            .ThenBy(job => job.Step, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Deletes the render's queued, scheduled and running jobs (a running one sees its cancellation token fire, within
    /// the server's cancellation check, 5 s by default); returns how many. Jobs that ended stay as they are.
    /// </summary>
    public int CancelRender(string renderId)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        using var connection = storage.GetConnection();
        using (connection.AcquireDistributedLock(LockOf(renderId), LockTimeout))
        {
            var deleted = 0;
            foreach (var step in connection.GetAllItemsFromSet(StepsOf(renderId)))
            {
                if (RecordedJob(connection, step) is { } id && IsRunning(connection, id) && client.Delete(id))
                {
                    deleted++;
                }
            }

            return deleted;
        }
    }

    /// <summary>Enqueues the stylize job of <paramref name="batch"/>; returns its job id.</summary>
    public string EnqueueBatch(string renderId, FrameBatch batch, string queue = CpuQueue) =>
        EnqueueOnce(
            renderId,
            string.Create(CultureInfo.InvariantCulture, $"batch-{batch.Index:D6}"),
            Job.FromExpression<RenderJobs>(jobs => jobs.StylizeAsync(renderId, batch.Index, batch.First, batch.Last, CancellationToken.None)),
            queue);

    /// <summary>Enqueues the assembly, the fan-in of every batch; returns its job id.</summary>
    public string EnqueueAssembly(string renderId, string queue = CpuQueue) =>
        EnqueueOnce(renderId, "assemble", Job.FromExpression<RenderJobs>(jobs => jobs.AssembleAsync(renderId, CancellationToken.None)), queue);

    /// <summary>The queue of a render whose models run on <paramref name="device"/>.</summary>
    public static string QueueOf(InferenceDevice device) => device == InferenceDevice.Cuda ? GpuQueue : CpuQueue;

    private string EnqueueOnce(string renderId, string step, Job job, string queue)
    {
        ArgumentException.ThrowIfNullOrEmpty(renderId);
        using var connection = storage.GetConnection();
        using (connection.AcquireDistributedLock(LockOf(renderId), LockTimeout))
        {
            return RecordedJob(connection, KeyOf(renderId, step)) is { } recorded && !HasLapsed(connection, recorded)
                ? recorded
                : Record(connection, renderId, step, job, queue);
        }
    }

    // Creates the step's job and records it (under the render's lock), in the step's hash and the render's set of steps.
    private string Record(IStorageConnection connection, string renderId, string step, Job job, string queue)
    {
        var id = client.Create(job, new EnqueuedState(queue));
        using var transaction = connection.CreateWriteTransaction();
        transaction.SetRangeInHash(KeyOf(renderId, step), [new KeyValuePair<string, string>(JobField, id)]);
        transaction.AddToSet(StepsOf(renderId), KeyOf(renderId, step));
        transaction.Commit();
        return id;
    }

    private static string LockOf(string renderId) => $"rotoscope:render:{renderId}";

    private static string StepsOf(string renderId) => $"rotoscope:render:{renderId}:steps";

    private static string KeyOf(string renderId, string step) => $"rotoscope:render:{renderId}:{step}";

    private static string? RecordedJob(IStorageConnection connection, string key) =>
        connection.GetAllEntriesFromHash(key)?.GetValueOrDefault(JobField);

    private static bool IsRunning(IStorageConnection connection, IEnumerable<string> steps) =>
        steps.Any(step => RecordedJob(connection, step) is { } id && IsRunning(connection, id));

    private static bool IsRunning(IStorageConnection connection, string jobId) =>
        connection.GetStateData(jobId)?.Name is { } state && RunningStates.Contains(state);

    // A recorded job that failed, was deleted or has expired no longer holds the step: asking again runs it anew (it
    // skips what the store already holds). One that succeeded does: its work is in the store.
    private static bool HasLapsed(IStorageConnection connection, string jobId) =>
        connection.GetStateData(jobId)?.Name is not { } state || state == FailedState.StateName || state == DeletedState.StateName;
}

/// <summary>One step of a render and the Hangfire job that runs it; <paramref name="State"/> is null when the job has expired.</summary>
public sealed record RenderStepJob(string Step, string JobId, string? State);
