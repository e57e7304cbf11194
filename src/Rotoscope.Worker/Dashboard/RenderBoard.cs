using Hangfire;
using Hangfire.States;
using Rotoscope.Core.Jobs;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Review;
using Rotoscope.Core.Storage;

namespace Rotoscope.Worker.Dashboard;

/// <summary>A render as the dashboard shows it: its status from the store, and the pace worked out from it.</summary>
/// <param name="FramesPerSecond">Frames styled per second of this run so far; null before there is a pace.</param>
/// <param name="Eta">Time left at that pace, while the render is active.</param>
/// <param name="Review">Its review in Dropbox, when it was published for one.</param>
public sealed record RenderRow(RenderStatus Status, double? FramesPerSecond, TimeSpan? Eta, ReviewRecord? Review)
{
    /// <summary>Frames styled, as a fraction of the frames.</summary>
    public double Fraction => Status.State == "succeeded" ? 1 : Status.Frames > 0 ? Math.Clamp((double)Status.FramesStyled / Status.Frames, 0, 1) : 0;

    internal static RenderRow Of(RenderStatus status, ReviewRecord? review)
    {
        var seconds = (status.Updated - status.Started).TotalSeconds;
        double? pace = status.FramesStyled > 0 && seconds >= 0.5 ? status.FramesStyled / seconds : null;
        TimeSpan? eta = status.IsActive && pace > 0 ? TimeSpan.FromSeconds(Math.Max(0, status.Frames - status.FramesStyled) / pace.Value) : null;
        return new RenderRow(status, pace, eta, review);
    }
}

/// <summary>One render in full: its row, the frames to show, its jobs and the workers that ran them.</summary>
/// <param name="RecentFrames">The newest styled frames (the last frame of each of the latest batches), oldest first.</param>
/// <param name="Workers">Hangfire servers (host:process) that processed a job of this run.</param>
public sealed record RenderDetail(RenderRow Row, IReadOnlyList<long> RecentFrames, IReadOnlyList<RenderStepJob> Jobs, IReadOnlyList<string> Workers);

/// <summary>
/// Reads renders for the dashboard. The store's records (<see cref="RenderStatus"/>) are the truth about a render; the job
/// storage adds only which jobs ran it and where.
/// </summary>
public sealed class RenderBoard(IBlobStore store, RenderScheduler scheduler, JobStorage storage, TimeProvider clock) : IDisposable
{
    /// <summary>Renders on the Renders page, newest first.</summary>
    public const int Shown = 50;

    private const int StripLength = 8;

    // Every open page asks once a second, and the home-page metric with it: one listing serves them all for a second.
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim listing = new(1, 1);
    private readonly RenderStatusList renders = new(store);
    private Dictionary<string, (string? Version, ReviewRecord? Review)> reviews = new(StringComparer.Ordinal);
    private (DateTimeOffset At, IReadOnlyList<RenderRow> Rows)? latest;

    /// <summary>The most recently updated renders, newest first.</summary>
    public async Task<IReadOnlyList<RenderRow>> ListAsync(CancellationToken cancellationToken)
    {
        await listing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (latest is { } cached && clock.GetUtcNow() - cached.At < Freshness)
            {
                return cached.Rows;
            }

            var statuses = await renders.NewestAsync(Shown, cancellationToken).ConfigureAwait(false);
            // A review record is one of its render's records: read again only when they have changed.
            var shownReviews = new Dictionary<string, (string? Version, ReviewRecord? Review)>(StringComparer.Ordinal);
            foreach (var status in statuses)
            {
                var version = renders.VersionOf(status.RenderId);
                shownReviews[status.RenderId] = reviews.TryGetValue(status.RenderId, out var seen) && seen.Version == version
                    ? seen
                    : (version, await ReviewRecord.ReadAsync(store, status.RenderId, cancellationToken).ConfigureAwait(false));
            }

            reviews = shownReviews;
            var rows = statuses.Select(s => RenderRow.Of(s, reviews[s.RenderId].Review)).ToList();
            latest = (clock.GetUtcNow(), rows);
            return rows;
        }
        finally
        {
            listing.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => listing.Dispose();

    /// <summary>How many renders are queued, stylizing or assembling.</summary>
    public async Task<int> CountActiveAsync(CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken).ConfigureAwait(false)).Count(r => r.Status.IsActive);

    /// <summary>One render in full, or null when the store has no such render.</summary>
    public async Task<RenderDetail?> ReadAsync(string renderId, CancellationToken cancellationToken)
    {
        if (await RenderStatus.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false) is not { } status)
        {
            return null;
        }

        var plan = await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false);
        var frames = new List<long>();
        await foreach (var marker in store.ListAsync(plan.BatchesPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (RenderStatus.RangeOf(marker.Key) is var (first, last) && last >= first)
            {
                frames.Add(last);
            }
        }

        var jobs = scheduler.JobsOf(renderId);
        var review = await ReviewRecord.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false);
        return new RenderDetail(RenderRow.Of(status, review), [.. frames.Order().TakeLast(StripLength)], jobs, WorkersOf(jobs));
    }

    // A processing state records the server that took the job: "host:pid:guid" in Hangfire 1.8.
    private List<string> WorkersOf(IReadOnlyList<RenderStepJob> jobs)
    {
        var monitoring = storage.GetMonitoringApi();
        return jobs.SelectMany(job => monitoring.JobDetails(job.JobId)?.History ?? [])
            .Where(state => state.StateName == ProcessingState.StateName)
            .Select(state => state.Data.TryGetValue("ServerId", out var server) ? server : null)
            .OfType<string>()
            .Select(server => string.Join(':', server.Split(':').Take(2)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
