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
public sealed class RenderTracker
{
    private readonly TaskCompletionSource<RenderResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private RenderStage stage = RenderStage.Queued;
    private long total;
    private long done;
    private long reused;
    private TimeSpan stageStarted;
    private readonly Dictionary<RenderStage, TimeSpan> stageTimes = [];

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

    /// <summary>Styled frames found already done (resumed work).</summary>
    public long FramesReused => Interlocked.Read(ref reused);

    /// <summary>A consistent snapshot.</summary>
    public RenderProgress Progress
    {
        get
        {
            lock (gate)
            {
                var inStage = clock.Elapsed - stageStarted;
                var fresh = done - (stage == RenderStage.Stylizing ? reused : 0);
                return new RenderProgress(stage, total, done, reused, clock.Elapsed)
                {
                    FramesPerSecond = inStage.TotalSeconds > 0.5 && fresh > 0 ? fresh / inStage.TotalSeconds : 0,
                };
            }
        }
    }

    /// <summary>Seconds spent in each stage so far (the current one up to now), for reports and benchmarks.</summary>
    public IReadOnlyDictionary<string, double> StageSeconds()
    {
        lock (gate)
        {
            var times = new Dictionary<RenderStage, TimeSpan>(stageTimes);
            times[stage] = times.GetValueOrDefault(stage) + (clock.Elapsed - stageStarted);
            return times.Where(t => t.Key != RenderStage.Done).ToDictionary(t => t.Key.ToString().ToLowerInvariant(), t => Math.Round(t.Value.TotalSeconds, 3));
        }
    }

    /// <summary>Enters <paramref name="newStage"/> with <paramref name="framesTotal"/> frames to do (0 when unknown).</summary>
    public void Enter(RenderStage newStage, long framesTotal)
    {
        lock (gate)
        {
            stageTimes[stage] = stageTimes.GetValueOrDefault(stage) + (clock.Elapsed - stageStarted);
            stage = newStage;
            total = framesTotal;
            done = 0;
            stageStarted = clock.Elapsed;
            if (newStage == RenderStage.Stylizing)
            {
                reused = 0;
            }
        }
    }

    /// <summary>Adds <paramref name="frames"/> done in the current stage; <paramref name="wereReused"/> when found already done.</summary>
    public void Advance(long frames, bool wereReused = false)
    {
        lock (gate)
        {
            done += frames;
            if (wereReused)
            {
                reused += frames;
            }
        }
    }

    /// <summary>Marks the render finished.</summary>
    public void Complete(RenderResult result)
    {
        Enter(RenderStage.Done, result.Frames);
        completion.TrySetResult(result);
    }

    /// <summary>Marks the render failed; the first failure wins.</summary>
    public void Fail(Exception error) => completion.TrySetException(error);
}
