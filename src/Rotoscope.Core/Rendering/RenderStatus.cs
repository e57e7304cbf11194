using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>Where a render stands, as its records in the store say: whichever process or machine runs it.</summary>
/// <param name="State">queued (plan recorded, no frames yet), stylizing, assembling, succeeded, failed or cancelled.</param>
/// <param name="Frames">The frame count: exact once the split has counted, the probe's estimate before.</param>
/// <param name="FramesStyled">Frames whose batch is done.</param>
/// <param name="Reason">Why it failed or who cancelled it, in one line.</param>
/// <param name="Updated">When its records last changed.</param>
public sealed record RenderStatus(
    string RenderId, string State, string Input, string Output, string Styles, long Frames, long FramesStyled, string? Reason, DateTimeOffset Updated)
{
    /// <summary>When this run was planned (its plan was written): with <see cref="Updated"/>, the run's pace.</summary>
    public DateTimeOffset Started { get; init; }

    /// <summary>The last frame of the furthest styled batch (0 before the first): the newest styled frame to show.</summary>
    public long LatestStyledFrame { get; init; }

    /// <summary>Whether the render may still change: it has neither ended (succeeded, failed, cancelled) nor gone.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsActive => State is "queued" or "stylizing" or "assembling";

    /// <summary>The status of <paramref name="renderId"/>, or null when the store has no such render.</summary>
    public static async Task<RenderStatus?> ReadAsync(IBlobStore store, string renderId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!BlobKey.TryParse($"renders/{renderId}", out _, out _)
            || await store.TryReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(renderId), cancellationToken).ConfigureAwait(false) is not { } plan)
        {
            return null;
        }

        var records = await store.ListAsync(plan.StatePrefix, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var updated = records.Count > 0 ? records.Max(r => r.Modified) : DateTimeOffset.MinValue;
        var started = records.FirstOrDefault(r => r.Key == plan.PlanKey).Modified;
        var markers = records.Where(r => r.Key.Value.StartsWith(plan.BatchesPrefix.Value + "/", StringComparison.Ordinal)).Select(r => RangeOf(r.Key)).ToList();
        var styled = markers.Sum(m => m.Last - m.First + 1);
        var latest = markers.Count > 0 ? markers.Max(m => m.Last) : 0;
        var styles = plan.StylesDescription;

        var input = plan.InputKey?.Value ?? plan.InputPath;
        RenderStatus Status(string state, long frames, string? reason = null) => new(renderId, state, input, plan.Output, styles, frames, styled, reason, updated) { Started = started, LatestStyledFrame = latest };

        if (await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false) is { } result)
        {
            return Status("succeeded", result.Frames) with { FramesStyled = result.Frames };
        }

        if (await store.TryReadJsonAsync<RenderFailure>(RenderPlan.FailureKeyOf(renderId), cancellationToken).ConfigureAwait(false) is { } failure)
        {
            return Status(failure.Cancelled ? "cancelled" : "failed", plan.ExpectedFrames, failure.Reason);
        }

        return await store.TryReadJsonAsync<SplitManifest>(plan.SplitManifest, cancellationToken).ConfigureAwait(false) is { } manifest
            ? Status(styled >= manifest.Frames ? "assembling" : "stylizing", manifest.Frames)
            : Status(styled > 0 ? "stylizing" : "queued", plan.ExpectedFrames);
    }

    // Batch markers are named FIRST-LAST.json.
    internal static long FramesOf(BlobKey marker)
    {
        var (first, last) = RangeOf(marker);
        return last - first + 1;
    }

    /// <summary>The frames a batch marker (named FIRST-LAST.json) covers; (1, 0) for any other name.</summary>
    public static (long First, long Last) RangeOf(BlobKey marker)
    {
        var name = Path.GetFileNameWithoutExtension(marker.Value);
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && long.TryParse(name[..dash], out var first) && long.TryParse(name[(dash + 1)..], out var last) ? (first, last) : (1, 0);
    }
}

/// <summary>
/// Why a render failed, in one line, and when: recorded in the store by whatever ran the failed step, or by whoever
/// cancelled it (<paramref name="Cancelled"/>; a cancelled render runs no more steps until it is requested again).
/// </summary>
public sealed record RenderFailure(string Reason, DateTimeOffset At, bool Cancelled = false);
