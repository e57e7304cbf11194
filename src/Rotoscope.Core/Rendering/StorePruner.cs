using System.Text.Json;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Rendering;

/// <summary>
/// Frees a frame store of work nobody needs: renders not touched since a cutoff (all but their small result record),
/// and the splits, styled frames and cached inputs that no newer render uses. A render whose output is locked (it is
/// running) is never touched, nor is anything it uses.
/// </summary>
public sealed class StorePruner(IBlobStore store, RenderLocks locks)
{
    /// <summary>What pruning removes (or would remove, on a dry run).</summary>
    public sealed record Outcome(int Renders, long Objects, long Bytes, IReadOnlyList<string> Kept);

    /// <summary>Removes what was last written before <paramref name="cutoff"/> and is not used by a newer or running render.</summary>
    public async Task<Outcome> PruneAsync(DateTimeOffset cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        var entries = await store.ListAsync(null, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);

        // Group by the unit that lives and dies together: renders/ID, frames/SPLIT, styled/CHAIN/SPLIT, cache/inputs/FILE.
        var groups = entries
            .Where(e => Unit(e.Key) is not null)
            .GroupBy(e => Unit(e.Key)!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var keep = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<string>();
        foreach (var (unit, files) in groups.Where(g => g.Key.StartsWith("renders/", StringComparison.Ordinal)))
        {
            var plan = await ReadPlanAsync(files, cancellationToken).ConfigureAwait(false);
            var running = plan is not null && locks.IsHeld(plan.Output);
            if (running || files.Max(f => f.Modified) >= cutoff)
            {
                keep.Add(unit);
                if (plan is not null)
                {
                    keep.Add(plan.FramesPrefix.Value);
                    keep.Add(plan.StyledPrefix.Value);
                    keep.Add(plan.InputKey?.Value ?? InputUnit(plan.InputPath));
                }

                if (running)
                {
                    kept.Add($"{unit} (running)");
                }
            }
        }

        // A render's result.json stays (a few hundred bytes): it is how a later run knows the output is that render's.
        var doomed = groups
            .Where(g => !keep.Contains(g.Key) && g.Value.Max(f => f.Modified) < cutoff)
            .Select(g => (Unit: g.Key, Files: g.Value.Where(f => !f.Key.Value.EndsWith("/result.json", StringComparison.Ordinal)).ToList()))
            .Where(g => g.Files.Count > 0)
            .ToList();
        long objects = 0, bytes = 0;
        foreach (var (_, files) in doomed)
        {
            foreach (var file in files)
            {
                if (!dryRun)
                {
                    await store.DeleteAsync(file.Key, cancellationToken).ConfigureAwait(false);
                }

                objects++;
                bytes += file.Length;
            }
        }

        return new Outcome(doomed.Count(d => d.Unit.StartsWith("renders/", StringComparison.Ordinal)), objects, bytes, kept);
    }

    private static string? Unit(BlobKey key)
    {
        var parts = key.Value.Split('/');
        return parts[0] switch
        {
            "renders" or "frames" when parts.Length > 2 => $"{parts[0]}/{parts[1]}",
            "styled" when parts.Length > 3 => $"styled/{parts[1]}/{parts[2]}",
            "cache" when parts.Length > 2 => string.Join('/', parts),
            _ => null,
        };
    }

    // Cached inputs live in the local data store: cache/inputs/HASH.ext.
    private static string InputUnit(string inputPath) => $"cache/inputs/{Path.GetFileName(inputPath)}";

    private async Task<RenderPlan?> ReadPlanAsync(List<BlobEntry> files, CancellationToken cancellationToken)
    {
        var plan = files.FirstOrDefault(f => f.Key.Value.EndsWith("/plan.json", StringComparison.Ordinal));
        if (plan.Key.Value is null)
        {
            return null;
        }

        try
        {
            return await store.ReadJsonAsync<RenderPlan>(plan.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or BlobNotFoundException)
        {
            return null;
        }
    }
}
