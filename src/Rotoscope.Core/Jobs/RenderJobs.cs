using Quartz;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Drives a render through the scheduler: split job → one stylize job per frame batch → assemble job once the last
/// batch is done (fan-in). Every job can run more than once (at-least-once delivery, recovery after a crash): each step
/// skips work the store already holds.
/// </summary>
public sealed class RenderJobs(IBlobStore store, FrameSplitter splitter, BatchStylizer stylizer, VideoAssembler assembler, StyleRunner runner, RenderMonitor monitor)
{
    internal const string RenderIdKey = "renderId";
    internal const string BatchKey = "batch";
    internal const string FirstFrameKey = "first";
    internal const string LastFrameKey = "last";

    /// <summary>Schedules the first job of a planned render (its plan must already be in the store).</summary>
    public static async Task EnqueueAsync(IScheduler scheduler, string renderId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        var job = JobBuilder.Create<SplitJob>()
            .WithIdentity("split", renderId)
            .UsingJobData(RenderIdKey, renderId)
            .RequestRecovery()
            .Build();
        await ScheduleOnceAsync(scheduler, job, TriggerBuilder.Create().StartNow().Build(), cancellationToken).ConfigureAwait(false);
    }

    internal async Task SplitAsync(IScheduler scheduler, string renderId, CancellationToken cancellationToken)
    {
        var plan = await LoadPlanAsync(renderId, cancellationToken).ConfigureAwait(false);
        var tracker = monitor.For(renderId);

        // Open the models first: on a worker that did not plan the render, a broken model fails before any decoding.
        runner.Prepare(plan.Chain);

        // Whole batches are enqueued as soon as their frames are stored, so stylizing overlaps the rest of the split.
        var enqueued = 0;
        var start = DateTimeOffset.UtcNow;
        async Task EnqueueUpToAsync(long framesStored, bool final, CancellationToken ct)
        {
            // Called for every stored frame: return at once until the next batch is whole.
            if (!final && framesStored < (enqueued + 1L) * plan.BatchSize)
            {
                return;
            }

            foreach (var batch in plan.Batches(framesStored).Skip(enqueued))
            {
                // A short batch is only complete once the split is: until then more of its frames may come.
                if (batch.Count < plan.BatchSize && !final)
                {
                    return;
                }

                await EnqueueBatchAsync(scheduler, plan, batch, start, ct).ConfigureAwait(false);
                enqueued++;
            }
        }

        var manifest = await splitter.SplitAsync(plan, tracker, (stored, ct) => EnqueueUpToAsync(stored, final: false, ct), cancellationToken).ConfigureAwait(false);
        tracker.Enter(RenderStage.Stylizing, manifest.Frames);
        await EnqueueUpToAsync(manifest.Frames, final: true, cancellationToken).ConfigureAwait(false);

        // Batches that finished before the manifest existed could not know they were the last: check for them here.
        await EnqueueAssemblyIfCompleteAsync(scheduler, plan, cancellationToken).ConfigureAwait(false);
    }

    internal async Task StylizeAsync(IScheduler scheduler, string renderId, FrameBatch batch, CancellationToken cancellationToken)
    {
        var plan = await LoadPlanAsync(renderId, cancellationToken).ConfigureAwait(false);
        await stylizer.StylizeAsync(plan, batch, monitor.For(renderId), cancellationToken).ConfigureAwait(false);
        await EnqueueAssemblyIfCompleteAsync(scheduler, plan, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnqueueBatchAsync(IScheduler scheduler, RenderPlan plan, FrameBatch batch, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var job = JobBuilder.Create<StylizeBatchJob>()
            .WithIdentity($"batch-{batch.Index:D6}", plan.RenderId)
            .UsingJobData(RenderIdKey, plan.RenderId)
            .UsingJobData(BatchKey, batch.Index)
            .UsingJobData(FirstFrameKey, batch.First)
            .UsingJobData(LastFrameKey, batch.Last)
            .RequestRecovery()
            .Build();

        // Staggered start times keep batches in frame order, so finished work is a prefix of the video.
        var trigger = TriggerBuilder.Create().StartAt(start.AddMilliseconds(batch.Index)).Build();
        await ScheduleOnceAsync(scheduler, job, trigger, cancellationToken).ConfigureAwait(false);
    }

    // A job key names one piece of work: a re-run split or a second fan-in check that schedules it again finds it
    // already stored (or done), and one copy is enough.
    private static async Task ScheduleOnceAsync(IScheduler scheduler, IJobDetail job, ITrigger trigger, CancellationToken cancellationToken)
    {
        try
        {
            await scheduler.ScheduleJob(job, trigger, default, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectAlreadyExistsException)
        {
        }
    }

    // Fan-in: the split (after its manifest) and every batch (after its marker) check; whichever writes last sees all.
    private async Task EnqueueAssemblyIfCompleteAsync(IScheduler scheduler, RenderPlan plan, CancellationToken cancellationToken)
    {
        if (await store.TryReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false) is not { } manifest)
        {
            return;
        }

        // Newest first: batches finish roughly in order, so a missing marker is usually found at once.
        foreach (var batch in plan.Batches(manifest.Frames).Reverse())
        {
            if (!await store.ExistsAsync(plan.BatchMarkerKey(batch), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        var assemble = JobBuilder.Create<AssembleJob>()
            .WithIdentity("assemble", plan.RenderId)
            .UsingJobData(RenderIdKey, plan.RenderId)
            .RequestRecovery()
            .Build();
        await ScheduleOnceAsync(scheduler, assemble, TriggerBuilder.Create().StartNow().Build(), cancellationToken).ConfigureAwait(false);
    }

    internal async Task AssembleAsync(string renderId, CancellationToken cancellationToken)
    {
        var plan = await LoadPlanAsync(renderId, cancellationToken).ConfigureAwait(false);
        var manifest = await store.ReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
        var tracker = monitor.For(renderId);
        var outputSha256 = await assembler.AssembleAsync(plan, manifest, tracker, cancellationToken).ConfigureAwait(false);

        var elapsed = tracker.Progress.Elapsed.TotalSeconds;
        var result = new RenderResult(
            plan.RenderId, plan.Output, manifest.Frames, plan.Fps.ToString(), plan.Width, plan.Height,
            Seconds: Math.Round(manifest.Frames / plan.Fps.ToDouble(), 3),
            ElapsedSeconds: Math.Round(elapsed, 3),
            FramesPerSecond: Math.Round(manifest.Frames / Math.Max(elapsed, 1e-6), 3),
            InferenceSeconds: Math.Round(tracker.InferenceTime.TotalSeconds, 3),
            FramesReused: tracker.FramesReused,
            HasAudio: manifest.HasAudio,
            Styles: plan.Styles.Select(s => new RenderedStyle(s.Id, s.Version, s.Sha256)).ToList(),
            StageSeconds: tracker.StageSeconds(),
            OutputSha256: outputSha256,
            InputDamage: manifest.Damage);
        await store.WriteJsonAsync(plan.ResultKey, result, cancellationToken).ConfigureAwait(false);
        tracker.Complete(result);
    }

    /// <summary>Runs one step for a job; a failure fails the render for whoever waits on it.</summary>
    internal async ValueTask RunStepAsync(IJobExecutionContext context, Func<string, CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        var renderId = context.MergedJobDataMap.GetString(RenderIdKey) ?? throw new JobExecutionException("job has no render id");
        var tracker = monitor.For(renderId);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tracker.CancellationToken);
        try
        {
            await step(renderId, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            tracker.Fail(e);

            // Also tell the scheduler, so the failure shows in its history; it is not refired: a re-run of the
            // command (or recovery) is what retries, and the steps skip what is done.
            throw new JobExecutionException(e) { RefireImmediately = false };
        }
    }

    private Task<RenderPlan> LoadPlanAsync(string renderId, CancellationToken cancellationToken) =>
        store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken);
}

/// <summary>Quartz job: split the source into frames, then schedule the batches.</summary>
[DisallowConcurrentExecution]
public sealed class SplitJob(RenderJobs jobs) : IJob
{
    /// <inheritdoc/>
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        jobs.RunStepAsync(context, (id, ct) => jobs.SplitAsync(context.Scheduler, id, ct), cancellationToken);
}

/// <summary>Quartz job: style one batch of frames; the last one schedules the assembly.</summary>
public sealed class StylizeBatchJob(RenderJobs jobs) : IJob
{
    /// <inheritdoc/>
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        jobs.RunStepAsync(context, (id, ct) => jobs.StylizeAsync(context.Scheduler, id, BatchOf(context.MergedJobDataMap), ct), cancellationToken);

    private static FrameBatch BatchOf(JobDataMap data) =>
        new(data.GetInt(RenderJobs.BatchKey), data.GetLong(RenderJobs.FirstFrameKey), data.GetLong(RenderJobs.LastFrameKey));
}

/// <summary>Quartz job: encode the styled frames with the audio into the output.</summary>
public sealed class AssembleJob(RenderJobs jobs) : IJob
{
    /// <inheritdoc/>
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        jobs.RunStepAsync(context, jobs.AssembleAsync, cancellationToken);
}
