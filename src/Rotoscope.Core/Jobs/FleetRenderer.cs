using Microsoft.Extensions.DependencyInjection;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Jobs;

/// <summary>
/// Renders on a fleet: plans the render here, puts its input where every worker can read it (the frame store), enqueues
/// it into the fleet's job storage, and follows it through the store, where the workers (other processes, other
/// machines) record frames, batches, the result or the reason it failed.
/// </summary>
public static class FleetRenderer
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Enqueues <paramref name="request"/> on the fleet whose jobs are in <paramref name="postgres"/>. With
    /// <paramref name="detach"/> it returns once the render is queued (the result then holds only its id and output);
    /// otherwise it follows it like <see cref="LocalRenderer.RenderAsync"/>.
    /// </summary>
    public static async Task<(RenderResult? Result, string RenderId, IReadOnlyList<string> Notes)> RenderAsync(
        RotoscopeOptions options,
        RenderRequest request,
        string postgres,
        bool detach,
        Func<PreparedRender, CancellationToken, Task<RenderResult>>? follow,
        Action<string>? notice,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(request);
        await using var services = FleetStorage.Compose(options, postgres);
        using var render = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var prepared = await services.GetRequiredService<RenderService>().PrepareAsync(request with { Shared = true }, notice ?? (_ => { }), render.Token).ConfigureAwait(false);
        var renderId = prepared.Plan.RenderId;
        var notes = services.GetRequiredService<StyleRunner>().Notes.ToList();
        try
        {
            if (prepared.AlreadyRendered)
            {
                return (await prepared.Tracker.Completion.ConfigureAwait(false), renderId, notes);
            }

            services.GetRequiredService<RenderScheduler>().EnqueueRender(renderId, RenderScheduler.QueueOf(prepared.Plan.Device));
            if (detach)
            {
                return (null, renderId, notes);
            }

            var watching = WatchAsync(services.GetRequiredService<IBlobStore>(), prepared.Plan, prepared.Tracker, render.Token);
            try
            {
                var result = follow is null
                    ? await prepared.Tracker.Completion.WaitAsync(render.Token).ConfigureAwait(false)
                    : await follow(prepared, render.Token).ConfigureAwait(false);
                return (result, renderId, notes);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C stops this client, not the render: the fleet goes on with it.
                throw new StoppedFollowingException(renderId);
            }
            finally
            {
                await render.CancelAsync().ConfigureAwait(false);
                await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            services.GetRequiredService<RenderMonitor>().Forget(renderId);
        }
    }

    // Feeds the tracker from what the workers record: the split manifest (the exact frame count), the batch markers
    // (frames styled), then the result, or the failure's one-line reason.
    private static async Task WatchAsync(IBlobStore store, RenderPlan plan, RenderTracker tracker, CancellationToken cancellationToken)
    {
        tracker.Enter(RenderStage.Splitting, plan.ExpectedFrames, isEstimate: true);
        long styled = 0;
        var split = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false) is { } result)
            {
                var elapsed = tracker.Progress.Elapsed.TotalSeconds;
                tracker.Complete(result with
                {
                    ElapsedSeconds = Math.Round(elapsed, 3),
                    FramesPerSecond = Math.Round(result.Frames / Math.Max(elapsed, 1e-6), 3),
                });
                return;
            }

            if (await store.TryReadJsonAsync<RenderFailure>(RenderPlan.FailureKeyOf(plan.RenderId), cancellationToken).ConfigureAwait(false) is { } failure)
            {
                tracker.Fail(new RotoscopeException(failure.Reason));
                return;
            }

            if (!split && await store.TryReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false) is { } manifest)
            {
                tracker.Enter(RenderStage.Stylizing, manifest.Frames);
                split = true;
            }

            var done = 0L;
            await foreach (var marker in store.ListAsync(plan.BatchesPrefix, cancellationToken).ConfigureAwait(false))
            {
                done += RenderStatus.FramesOf(marker.Key);
            }

            if (done > styled)
            {
                tracker.Advance(RenderStage.Stylizing, done - styled);
                styled = done;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

/// <summary>The client stopped following a fleet render (Ctrl+C); the render itself goes on in the fleet.</summary>
public sealed class StoppedFollowingException(string renderId)
    : Exception($"stopped following render {renderId}; it goes on in the fleet (rotoscope status {renderId}, rotoscope cancel {renderId})")
{
    /// <summary>The render, still running.</summary>
    public string RenderId { get; } = renderId;
}
