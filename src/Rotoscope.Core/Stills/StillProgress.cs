using System.Diagnostics;

namespace Rotoscope.Core.Stills;

/// <summary>The live count of a stylize run in this process, fed from the batch results as they land.</summary>
public sealed class StillTracker(int total, int skipped)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();
    private int styled;
    private int failed;
    private TimeSpan? firstStyled;

    /// <summary>Adds the outcomes of one finished batch.</summary>
    public void Add(StillBatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (gate)
        {
            firstStyled ??= clock.Elapsed;
            styled += result.Outcomes.Count(o => o.Error is null);
            failed += result.Outcomes.Count(o => o.Error is not null);
        }
    }

    /// <summary>A consistent snapshot.</summary>
    public StillProgress Progress
    {
        get
        {
            lock (gate)
            {
                // The rate counts from the start: the first batch's time is part of every batch's cost.
                var elapsed = clock.Elapsed;
                var rate = elapsed.TotalSeconds > 0.5 && styled + failed > 0 ? (styled + failed) / elapsed.TotalSeconds : 0;
                return new StillProgress(total, skipped + styled + failed, skipped, failed, elapsed, rate);
            }
        }
    }
}

/// <summary>A stylize run's progress: images done (skipped and failed included) of the total matched.</summary>
public sealed record StillProgress(int Total, int Done, int Skipped, int Failed, TimeSpan Elapsed, double ImagesPerSecond)
{
    /// <summary>Estimated time left, when it can be known.</summary>
    public TimeSpan? Remaining => ImagesPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, Total - Done) / ImagesPerSecond) : null;
}
