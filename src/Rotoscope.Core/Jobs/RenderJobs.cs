using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// A render's steps as Hangfire jobs: split → one stylize job per frame batch → assemble once the last batch is done
/// (fan-in). Every job can run more than once (at-least-once delivery, recovery after a crash): each step skips work the
/// store already holds.
/// </summary>
/// <remarks>
/// Arguments are stored with the job, so they are plain values: the render id first (<see cref="RenderJobFilters"/>
/// reads it), then a batch's numbers; everything else comes from the plan in the store. Hangfire passes the token
/// given for <c>cancellationToken</c>: it fires when the server stops or the job is deleted.
/// </remarks>
public sealed class RenderJobs(IBlobStore store, LocalBlobStore data, FrameSplitter splitter, BatchStylizer stylizer, VideoAssembler assembler, StyleRunner runner, RenderMonitor monitor, RenderScheduler scheduler)
{
    /// <summary>Job: splits the source into frames, enqueuing each batch as soon as its frames are stored.</summary>
    public Task SplitAsync(string renderId, CancellationToken cancellationToken) => RunAsync(renderId, SplitFramesAsync, cancellationToken);

    /// <summary>Job: styles the frames <paramref name="first"/>..<paramref name="last"/> of batch <paramref name="batch"/>; the last one to finish enqueues the assembly.</summary>
    public Task StylizeAsync(string renderId, int batch, long first, long last, CancellationToken cancellationToken) =>
        RunAsync(renderId, (plan, tracker, ct) => StylizeBatchAsync(plan, new FrameBatch(batch, first, last), tracker, ct), cancellationToken);

    /// <summary>
    /// Recurring job (a fleet's workers run it every minute): assembles any render whose batches are all done but whose
    /// assembly was never enqueued (a fan-in lost with its job's records, a job deleted by hand), and forgets renders
    /// that ended.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var renderId in scheduler.StartedRenders())
        {
            if (await store.TryReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false) is not { } plan
                || await store.ExistsAsync(plan.ResultKey, cancellationToken).ConfigureAwait(false)
                || await store.ExistsAsync(RenderPlan.FailureKeyOf(renderId), cancellationToken).ConfigureAwait(false))
            {
                scheduler.Forget(renderId);
            }
            else if (!scheduler.IsRunning(renderId))
            {
                await EnqueueAssemblyIfCompleteAsync(plan, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Job: encodes the styled frames with the audio into the output and records the result.</summary>
    public Task AssembleAsync(string renderId, CancellationToken cancellationToken) => RunAsync(renderId, AssembleOutputAsync, cancellationToken);

    // A failure propagates to Hangfire, whose failed state tells the render's tracker (RenderJobFilters): one path for
    // failures in a step and before it (activation, arguments).
    private async Task RunAsync(string renderId, Func<RenderPlan, RenderTracker, CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        var tracker = monitor.For(renderId);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tracker.CancellationToken);

        // A cancelled render's jobs are deleted, but a step that was running may still enqueue one (a batch, the
        // assembly) before its token fires: such a job ends here, doing nothing. A new request clears the record.
        if (await store.TryReadJsonAsync<RenderFailure>(RenderPlan.FailureKeyOf(renderId), linked.Token).ConfigureAwait(false) is { Cancelled: true })
        {
            return;
        }

        var plan = await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), linked.Token).ConfigureAwait(false);
        await step(plan, tracker, linked.Token).ConfigureAwait(false);
    }

    private async Task SplitFramesAsync(RenderPlan plan, RenderTracker tracker, CancellationToken cancellationToken)
    {
        plan = await WithLocalInputAsync(plan, cancellationToken).ConfigureAwait(false);

        // Open the models first: on a worker that did not plan the render, a broken model fails before any decoding.
        runner.Prepare(plan.Chain);

        // Whole batches are enqueued as soon as their frames are stored, so stylizing overlaps the rest of the split.
        // The queue is first in, first out: batches enqueued in frame order run in frame order, so finished work is a
        // prefix of the video.
        var enqueued = 0;
        void EnqueueUpTo(long framesStored, bool final)
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
                    break;
                }

                scheduler.EnqueueBatch(plan.RenderId, batch, RenderScheduler.QueueOf(plan.Device));
                enqueued++;
            }
        }

        var manifest = await splitter.SplitAsync(
            plan,
            tracker,
            (stored, _) =>
            {
                EnqueueUpTo(stored, final: false);
                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);
        tracker.Enter(RenderStage.Stylizing, manifest.Frames);
        EnqueueUpTo(manifest.Frames, final: true);

        // Batches that finished before the manifest existed could not know they were the last: check for them here.
        await EnqueueAssemblyIfCompleteAsync(plan, cancellationToken).ConfigureAwait(false);
    }

    // A fleet render's input is in the frame store: a worker on another machine than the planner's fetches it into its
    // own data store, once.
    private async Task<RenderPlan> WithLocalInputAsync(RenderPlan plan, CancellationToken cancellationToken)
    {
        if (plan.InputKey is not { } key || File.Exists(plan.InputPath))
        {
            return plan;
        }

        var local = data.PathOf(key);
        if (!File.Exists(local))
        {
            var source = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await data.WriteAsync(key, source, cancellationToken).ConfigureAwait(false);
            }
        }

        return plan with { InputPath = local };
    }

    private async Task StylizeBatchAsync(RenderPlan plan, FrameBatch batch, RenderTracker tracker, CancellationToken cancellationToken)
    {
        await stylizer.StylizeAsync(plan, batch, tracker, cancellationToken).ConfigureAwait(false);
        await EnqueueAssemblyIfCompleteAsync(plan, cancellationToken).ConfigureAwait(false);
    }

    // Fan-in: the split (after its manifest) and every batch (after its marker) check; whichever writes last sees all.
    // Two may see all at once: the queue enqueues the assembly once.
    private async Task EnqueueAssemblyIfCompleteAsync(RenderPlan plan, CancellationToken cancellationToken)
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

        scheduler.EnqueueAssembly(plan.RenderId, RenderScheduler.QueueOf(plan.Device));
    }

    private async Task AssembleOutputAsync(RenderPlan plan, RenderTracker tracker, CancellationToken cancellationToken)
    {
        var manifest = await store.ReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false);
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
            InputDamage: manifest.Damage)
        {
            Strength = plan.Adjustment.Strength,
            KeepColors = plan.Adjustment.KeepColors,
        };
        await store.WriteJsonAsync(plan.ResultKey, result, cancellationToken).ConfigureAwait(false);
        tracker.Complete(result);
    }
}
