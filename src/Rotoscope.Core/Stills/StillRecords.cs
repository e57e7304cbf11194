using System.Text.Json;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Stills;

/// <summary>
/// What a stylize job has done, as the frame store holds it: a manifest of finished runs, plus the batches and batch
/// results of runs that have not been compacted into it (a crash, <c>--detach</c>, or a run still going on).
/// </summary>
public sealed class StillRecords(IBlobStore store)
{
    /// <summary>
    /// Outputs made (manifest and results merged, newest result last), the names any recorded batch claimed, and the
    /// batches that have no result yet (crashed, or still queued or running on a fleet).
    /// </summary>
    public async Task<(Dictionary<string, StillDone> Done, HashSet<string> Claimed, List<StillBatch> Open)> ReadAsync(string jobId, CancellationToken cancellationToken)
    {
        var done = new Dictionary<string, StillDone>(StringComparer.Ordinal);
        if (await TryReadAsync<StillManifest>(StillPlan.ManifestKeyOf(jobId), cancellationToken).ConfigureAwait(false) is { } manifest)
        {
            foreach (var (name, record) in manifest.Done)
            {
                done[name] = record;
            }
        }

        var finished = new HashSet<string>(StringComparer.Ordinal);
        foreach (var result in await ResultsAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            Merge(done, result);
            finished.Add(result.BatchId);
        }

        // Names a batch was about to write: an output there may be this job's, written before a crash.
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var open = new List<StillBatch>();
        await foreach (var entry in store.ListAsync(StillPlan.BatchesPrefixOf(jobId), cancellationToken).ConfigureAwait(false))
        {
            if (await TryReadAsync<StillBatch>(entry.Key, cancellationToken).ConfigureAwait(false) is { } batch)
            {
                claimed.UnionWith(batch.Images.Select(i => i.Name));
                if (!finished.Contains(batch.BatchId))
                {
                    open.Add(batch);
                }
            }
        }

        return (done, claimed, open);
    }

    /// <summary>
    /// Folds every batch result into the manifest, then deletes those results and their batches; batches without a result
    /// stay (their claims still count). Run by the client that saw its run end; idempotent. Returns the batches folded.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompactAsync(string jobId, CancellationToken cancellationToken)
    {
        var results = await ResultsAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (results.Count == 0)
        {
            return [];
        }

        var (done, _, _) = await ReadAsync(jobId, cancellationToken).ConfigureAwait(false);
        await store.WriteJsonAsync(StillPlan.ManifestKeyOf(jobId), new StillManifest(done), cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            await store.DeleteAsync(StillPlan.ResultKeyOf(jobId, result.BatchId), cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(StillPlan.BatchKeyOf(jobId, result.BatchId), cancellationToken).ConfigureAwait(false);
        }

        // A run's plan goes with its last batch (batch ids are RUN-INDEX).
        var runs = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in store.ListAsync(StillPlan.BatchesPrefixOf(jobId), cancellationToken).ConfigureAwait(false))
        {
            runs.Add(Path.GetFileNameWithoutExtension(entry.Key.Value).Split('-')[0]);
        }

        var plans = new List<BlobKey>();
        await foreach (var entry in store.ListAsync(StillPlan.PrefixOf(jobId).Append("plans"), cancellationToken).ConfigureAwait(false))
        {
            if (!runs.Contains(Path.GetFileNameWithoutExtension(entry.Key.Value)))
            {
                plans.Add(entry.Key);
            }
        }

        foreach (var plan in plans)
        {
            await store.DeleteAsync(plan, cancellationToken).ConfigureAwait(false);
        }

        return [.. results.Select(r => r.BatchId)];
    }

    /// <summary>The results written so far, in batch id order (ids start with their run's time, so older runs first).</summary>
    public async Task<List<StillBatchResult>> ResultsAsync(string jobId, CancellationToken cancellationToken)
    {
        var results = new List<StillBatchResult>();
        await foreach (var entry in store.ListAsync(StillPlan.ResultsPrefixOf(jobId), cancellationToken).ConfigureAwait(false))
        {
            if (await TryReadAsync<StillBatchResult>(entry.Key, cancellationToken).ConfigureAwait(false) is { } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    // A failed image keeps what an earlier run made of it: that output still exists and is still this job's.
    private static void Merge(Dictionary<string, StillDone> done, StillBatchResult result)
    {
        foreach (var outcome in result.Outcomes)
        {
            if (outcome.OutputLength is { } length)
            {
                done[outcome.Name] = new StillDone(outcome.InputVersion, length);
            }
        }
    }

    private async Task<T?> TryReadAsync<T>(BlobKey key, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await store.TryReadJsonAsync<T>(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            return null; // A damaged record: the images it covers are redone.
        }
    }
}
