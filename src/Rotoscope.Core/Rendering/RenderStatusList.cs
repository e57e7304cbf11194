using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// The statuses of the most recently changed renders, from one listing of the store's render records: only the renders
/// shown are read, and a render that has ended is read again only when its records change (a re-run), so a store with a
/// long history costs a dashboard that asks every second no more than the renders still going on.
/// </summary>
/// <remarks>Not thread-safe: one caller at a time (the dashboard serialises its listings).</remarks>
public sealed class RenderStatusList(IBlobStore store)
{
    private static readonly BlobKey Renders = BlobKey.Parse("renders");

    private Dictionary<string, (string Version, RenderStatus Status)> known = new(StringComparer.Ordinal);

    /// <summary>
    /// A version of the records of a render the last <see cref="NewestAsync"/> returned (any of them added, removed or
    /// rewritten changes it), for a caller that keeps more of a render's records; null for any other render.
    /// </summary>
    public string? VersionOf(string renderId) => known.TryGetValue(renderId, out var seen) ? seen.Version : null;

    /// <summary>The statuses of the <paramref name="count"/> renders whose records changed last, newest first.</summary>
    public async Task<IReadOnlyList<RenderStatus>> NewestAsync(int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var renders = await ListAsync(cancellationToken).ConfigureAwait(false);
        var kept = new Dictionary<string, (string Version, RenderStatus Status)>(StringComparer.Ordinal);
        foreach (var (renderId, version) in renders.OrderByDescending(r => r.Latest).Take(count).Select(r => (r.RenderId, r.Version)))
        {
            // An active render changes outside its records too (its split manifest lives with the frames): always read.
            if (known.TryGetValue(renderId, out var seen) && seen.Version == version && !seen.Status.IsActive)
            {
                kept[renderId] = seen;
            }
            else if (await RenderStatus.ReadAsync(store, renderId, cancellationToken).ConfigureAwait(false) is { } status)
            {
                kept[renderId] = (version, status);
            }
        }

        known = kept;
        return [.. kept.Values.Select(k => k.Status).OrderByDescending(s => s.Updated)];
    }

    // Every render that has a plan, with when its records last changed and a version of them all (a record added,
    // removed or rewritten changes it).
    private async Task<List<(string RenderId, DateTimeOffset Latest, string Version)>> ListAsync(CancellationToken cancellationToken)
    {
        var renders = new List<(string RenderId, DateTimeOffset Latest, string Version)>();
        string? current = null;
        var (latest, records, hash, planned) = (DateTimeOffset.MinValue, 0, new HashCode(), false);
        await foreach (var entry in store.ListAsync(Renders, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Key.Value.Split('/') is not ["renders", var renderId, .. { Length: > 0 } rest])
            {
                continue;
            }

            // The listing is in key order, so each render's records come together.
            if (renderId != current)
            {
                Add();
                (current, latest, records, hash, planned) = (renderId, DateTimeOffset.MinValue, 0, new HashCode(), false);
            }

            latest = entry.Modified > latest ? entry.Modified : latest;
            records++;
            hash.Add(entry.Key.Value, StringComparer.Ordinal);
            hash.Add(entry.Version, StringComparer.Ordinal);
            planned |= rest is ["plan.json"];
        }

        Add();
        return renders;

        void Add()
        {
            if (current is not null && planned)
            {
                renders.Add((current, latest, $"{records}:{hash.ToHashCode():x8}"));
            }
        }
    }
}
