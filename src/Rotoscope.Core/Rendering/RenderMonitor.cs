using System.Collections.Concurrent;
using System.Diagnostics;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Tracks the renders this process waits for: jobs report stage changes, frames and the outcome; the caller awaits
/// <see cref="RenderTracker.Completion"/> and polls <see cref="RenderTracker.Progress"/>.
/// </summary>
public sealed class RenderMonitor
{
    private readonly ConcurrentDictionary<string, RenderTracker> trackers = new(StringComparer.Ordinal);

    /// <summary>Starts tracking <paramref name="renderId"/>; cancelling <paramref name="cancellationToken"/> cancels its jobs.</summary>
    public RenderTracker Track(string renderId, CancellationToken cancellationToken)
    {
        var tracker = new RenderTracker(renderId, cancellationToken);
        trackers[renderId] = tracker;
        return tracker;
    }

    /// <summary>The tracker of <paramref name="renderId"/>, or a detached one when nobody in this process waits for it.</summary>
    public RenderTracker For(string renderId) =>
        trackers.TryGetValue(renderId, out var tracker) ? tracker : new RenderTracker(renderId, CancellationToken.None);

    /// <summary>Stops tracking <paramref name="renderId"/>.</summary>
    public void Forget(string renderId) => trackers.TryRemove(renderId, out _);
}

/// <summary>The live state of one render in this process.</summary>
/// <remarks>Stages overlap (batches are styled while the split goes on), so each stage keeps its own counters.</remarks>
public sealed class RenderTracker
{
    private readonly TaskCompletionSource<RenderResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private readonly StageCounters[] stages = Enum.GetValues<RenderStage>().Select(_ => new StageCounters()).ToArray();
    private RenderStage current = RenderStage.Queued;
    private TimeSpan inferenceTime;

    // Every stage handles the same frames: one total for the render, estimated from the probe until the split counts.
    private long framesTotal;
    private bool totalKnown;

    internal RenderTracker(string renderId, CancellationToken cancellationToken)
    {
        RenderId = renderId;
        CancellationToken = cancellationToken;
    }

    /// <summary>The render.</summary>
    public string RenderId { get; }

    /// <summary>Cancelled when the caller gives up; jobs of this render observe it.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Completes with the result, or faults with the first failure of any job.</summary>
    public Task<RenderResult> Completion => completion.Task;

    /// <summary>Styled frames found already done in the store (resumed or repeated work).</summary>
    public long FramesReused
    {
        get
        {
            lock (gate)
            {
                return stages[(int)RenderStage.Stylizing].Reused;
            }
        }
    }

    /// <summary>Time spent inside style model runs (the lock-step inference waits excluded).</summary>
    public TimeSpan InferenceTime
    {
        get
        {
            lock (gate)
            {
                return inferenceTime;
            }
        }
    }

    /// <summary>A consistent snapshot of the furthest stage reached.</summary>
    public RenderProgress Progress
    {
        get
        {
            lock (gate)
            {
                var counters = stages[(int)current];
                var active = clock.Elapsed - (counters.Started ?? clock.Elapsed);
                var fresh = counters.Done - counters.Reused;
                return new RenderProgress(current, framesTotal, counters.Done, counters.Reused, clock.Elapsed)
                {
                    FramesPerSecond = active.TotalSeconds > 0.5 && fresh > 0 ? fresh / active.TotalSeconds : 0,
                    TotalIsEstimate = !totalKnown,
                };
            }
        }
    }

    /// <summary>Seconds from each stage's first activity to its end (the current one up to now), for reports and benchmarks.</summary>
    public IReadOnlyDictionary<string, double> StageSeconds()
    {
        lock (gate)
        {
            return Enum.GetValues<RenderStage>()
                .Where(s => s is not (RenderStage.Queued or RenderStage.Done) && stages[(int)s].Started is not null)
                .ToDictionary(
                    s => s.ToString().ToLowerInvariant(),
                    s => Math.Round(((stages[(int)s].Ended ?? clock.Elapsed) - stages[(int)s].Started!.Value).TotalSeconds, 3));
        }
    }

    /// <summary>
    /// Enters <paramref name="stage"/> with <paramref name="frames"/> to do (an estimate until an exact count is given);
    /// earlier stages end.
    /// </summary>
    public void Enter(RenderStage stage, long frames, bool isEstimate = false)
    {
        lock (gate)
        {
            if (!isEstimate || !totalKnown)
            {
                framesTotal = frames;
                totalKnown |= !isEstimate;
            }

            var counters = stages[(int)stage];
            counters.Started ??= clock.Elapsed;
            for (var earlier = 0; earlier < (int)stage; earlier++)
            {
                if (stages[earlier].Started is not null)
                {
                    stages[earlier].Ended ??= clock.Elapsed;
                }
            }

            if (stage > current)
            {
                current = stage;
            }
        }
    }

    /// <summary>Adds <paramref name="frames"/> done in <paramref name="stage"/>; <paramref name="wereReused"/> when found already done.</summary>
    public void Advance(RenderStage stage, long frames, bool wereReused = false)
    {
        lock (gate)
        {
            var counters = stages[(int)stage];
            counters.Started ??= clock.Elapsed;
            counters.Done += frames;
            if (wereReused)
            {
                counters.Reused += frames;
            }
        }
    }

    /// <summary>Adds time spent running style models.</summary>
    public void AddInferenceTime(TimeSpan time)
    {
        lock (gate)
        {
            inferenceTime += time;
        }
    }

    /// <summary>Marks the render finished.</summary>
    public void Complete(RenderResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Enter(RenderStage.Done, result.Frames);
        completion.TrySetResult(result);
    }

    /// <summary>Marks the render failed; the first failure wins.</summary>
    public void Fail(Exception error) => completion.TrySetException(error);

    private sealed class StageCounters
    {
        public long Done { get; set; }

        public long Reused { get; set; }

        public TimeSpan? Started { get; set; }

        public TimeSpan? Ended { get; set; }
    }
}
