using System.Text;
using System.Text.Json;
using Rotoscope.Core.Rendering;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>Something the watcher noticed about a review, for people.</summary>
public sealed record ReviewChange(string RenderId, string Name, ReviewState State, string What, string? Reason, string Link);

/// <summary>
/// Takes reviewers' decisions back: where each review's folder is now (found by its Dropbox id, which follows moves and
/// renames) says pending, approved or rejected; notes.txt gives the reason. An approval publishes the output to the
/// review's destination exactly once (the publication is recorded, and checked before anything is copied). Changes are
/// noticed through list_folder/continue after a longpoll, never by polling in a loop. Nothing in Dropbox is written
/// or deleted here.
/// </summary>
public sealed class ReviewWatcher(IBlobStore store, Connectors connectors, OutputPublisher publisher, TimeProvider time)
{
    /// <summary>How long one longpoll waits for a change (Dropbox allows 30 s to 8 min).</summary>
    public static readonly TimeSpan PollTimeout = TimeSpan.FromMinutes(2);

    // New review roots (a publish to another root while watching) are looked for this often.
    private static readonly TimeSpan RootRefresh = TimeSpan.FromMinutes(1);

    // After Dropbox or the store failed beyond the client's own retries, the root is listed again after this long.
    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(30);

    private const int MaxNotesBytes = 16 * 1024;

    /// <summary>
    /// Looks once at every review root (or only <paramref name="rootUri"/>) and records what changed. Each root's
    /// listing and cursor are kept in the store between looks (<c>reviews/roots/</c>), so a look reads only what
    /// changed since the last one (list_folder/continue), or the whole root the first time or after Dropbox reset the
    /// cursor. A look never waits on a longpoll: it is what the fleet's recurring job runs, which must end promptly to
    /// free its worker and to let the next run start on time.
    /// </summary>
    /// <remarks>Looks must not overlap (<c>PassLocks</c>): each reads the records, then rewrites them.</remarks>
    public async Task<IReadOnlyList<ReviewChange>> CheckOnceAsync(string? rootUri, CancellationToken cancellationToken)
    {
        var changes = new List<ReviewChange>();
        foreach (var root in await RootsAsync(rootUri, cancellationToken).ConfigureAwait(false))
        {
            var key = BlobKey.Parse($"reviews/roots/{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ReviewRoot.Identity(root.Uri))))[..20]}.json");
            var view = await OpenViewAsync(root, key, cancellationToken).ConfigureAwait(false);
            changes.AddRange(await ReconcileAsync(view, cancellationToken).ConfigureAwait(false));
            await store.WriteJsonAsync(key, view.Snapshot(), cancellationToken).ConfigureAwait(false);
        }

        return changes;
    }

    private async Task<ReviewFolderView> OpenViewAsync(ReviewRoot root, BlobKey key, CancellationToken cancellationToken)
    {
        if (await store.TryReadJsonAsync<ReviewViewSnapshot>(key, cancellationToken).ConfigureAwait(false) is { } snapshot)
        {
            var view = ReviewFolderView.FromSnapshot(root, snapshot);
            try
            {
                await view.ContinueAsync(cancellationToken).ConfigureAwait(false);
                return view;
            }
            catch (DropboxApiException e) when (e.Tag == "reset")
            {
                // Dropbox invalidated the cursor: list the root afresh.
            }
        }

        return await ReviewFolderView.ListAsync(root, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Watches until <paramref name="cancellationToken"/> is cancelled: each root is listed once, then followed through
    /// longpolls; <paramref name="report"/> hears each change, <paramref name="problem"/> each failure that is retried.
    /// </summary>
    public async Task WatchAsync(string? rootUri, Func<ReviewChange, Task> report, Action<string> problem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(problem);
        var loops = new Dictionary<string, Task>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                foreach (var root in await RootsAsync(rootUri, cancellationToken).ConfigureAwait(false))
                {
                    if (!loops.ContainsKey(ReviewRoot.Identity(root.Uri)))
                    {
                        loops[ReviewRoot.Identity(root.Uri)] = FollowAsync(root, report, problem, cancellationToken);
                    }
                }

                var refresh = Task.Delay(RootRefresh, time, cancellationToken);
                var ended = await Task.WhenAny([.. loops.Values, refresh]).ConfigureAwait(false);
                await ended.ConfigureAwait(false); // a root's loop ends only when cancelled, or with a failure it cannot retry
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            foreach (var loop in loops.Values)
            {
                try
                {
                    await loop.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private async Task FollowAsync(ReviewRoot root, Func<ReviewChange, Task> report, Action<string> problem, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var view = await ReviewFolderView.ListAsync(root, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    foreach (var change in await ReconcileAsync(view, cancellationToken).ConfigureAwait(false))
                    {
                        await report(change).ConfigureAwait(false);
                    }

                    var (changed, backoff) = await root.Client.LongpollAsync(view.Cursor, PollTimeout, cancellationToken).ConfigureAwait(false);
                    if (changed)
                    {
                        await view.ContinueAsync(cancellationToken).ConfigureAwait(false);
                    }

                    if (backoff is { } wait)
                    {
                        await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (DropboxApiException e) when (e.Tag == "reset")
            {
                // Dropbox invalidated the cursor: list the root afresh.
            }
            catch (Exception e) when (e is RotoscopeException or DropboxApiException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                problem($"{root.Uri}: {e.Message} (trying again in {FailureDelay.TotalSeconds:0} s)");
                await Task.Delay(FailureDelay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<ReviewRoot>> RootsAsync(string? rootUri, CancellationToken cancellationToken)
    {
        if (rootUri is not null)
        {
            return [ReviewRoot.Resolve(connectors, rootUri, forWrite: false)];
        }

        var roots = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var record in ReviewRecord.ListAsync(store, cancellationToken).ConfigureAwait(false))
        {
            roots.TryAdd(ReviewRoot.Identity(record.Root), record.Root);
        }

        return [.. roots.Values.Select(uri => ReviewRoot.Resolve(connectors, uri, forWrite: false))];
    }

    private async Task<IReadOnlyList<ReviewChange>> ReconcileAsync(ReviewFolderView view, CancellationToken cancellationToken)
    {
        var identity = ReviewRoot.Identity(view.Root.Uri);
        var records = new List<ReviewRecord>();
        await foreach (var record in ReviewRecord.ListAsync(store, cancellationToken).ConfigureAwait(false))
        {
            if (ReviewRoot.Identity(record.Root) == identity)
            {
                records.Add(record);
            }
        }

        var changes = new List<ReviewChange>();
        var claimed = records.Select(r => r.FolderId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var record in records.OrderBy(r => r.PublishedAt))
        {
            var (updated, what) = await ReconcileAsync(view, record, claimed, cancellationToken).ConfigureAwait(false);
            if (what.Count > 0)
            {
                await updated.WriteAsync(store, cancellationToken).ConfigureAwait(false);
                changes.AddRange(what.Select(w => new ReviewChange(updated.RenderId, updated.Name, updated.State, w, updated.Reason, updated.Link)));
            }
        }

        return changes;
    }

    // One review: where its folder is now, what that means, and what follows (a publication, a kept reason).
    private async Task<(ReviewRecord Record, List<string> What)> ReconcileAsync(
        ReviewFolderView view, ReviewRecord record, HashSet<string> claimed, CancellationToken cancellationToken)
    {
        var what = new List<string>();
        var now = time.GetUtcNow();
        var root = view.Root;
        ReviewRecord Note(ReviewRecord r, string text)
        {
            what.Add(text);
            return r.With(now, text);
        }

        var folder = record.FolderId is { } id ? view.FolderById(id) : null;
        if (folder is null)
        {
            // Not where its id says: a folder copied back or restored has a new id, but still holds our rotoscope.json.
            folder = await AdoptAsync(view, record.RenderId, claimed, cancellationToken).ConfigureAwait(false);
            if (folder is not null)
            {
                record = record with { FolderId = folder.Id };
            }
        }

        var observed = folder is null ? ReviewState.Missing : root.StateAt(folder.PathLower);
        if (observed == ReviewState.Missing)
        {
            if (record.State == ReviewState.Pending)
            {
                record = Note(record with { State = ReviewState.Missing, Folder = null }, $"the folder was deleted or moved out of {root.Uri}: withdrawn from review, nothing is published (publish it again to put it back)");
            }
            else if (record.State != ReviewState.Missing && record.Folder is not null)
            {
                record = Note(record with { Folder = null }, $"the folder was deleted or moved out of {root.Uri}; the {record.State.ToString().ToLowerInvariant()} decision stands");
            }

            return (record, what);
        }

        var notes = view.FilesIn(folder!.PathLower).FirstOrDefault(f => string.Equals(f.Name, ReviewNames.Notes, StringComparison.OrdinalIgnoreCase));
        if (observed != record.State)
        {
            var previous = record.State;
            record = record with { State = observed, Folder = folder.PathDisplay };
            if (observed == ReviewState.Pending)
            {
                var kept = record.Publication is { } published ? $"; the output published to {published.Destination} stays there" : "";
                record = Note(record with { DecidedAt = null, Reason = null, NotesHash = null }, previous == ReviewState.Missing
                    ? $"the folder is back in {folder.PathDisplay}: pending"
                    : $"moved back to pending: the {previous.ToString().ToLowerInvariant()} decision is withdrawn{kept}");
            }
            else
            {
                var reason = notes is null ? null : await ReadNotesAsync(root, notes, cancellationToken).ConfigureAwait(false);
                record = Note(record with { DecidedAt = now, Reason = reason, NotesHash = notes?.ContentHash }, $"{observed.ToString().ToLowerInvariant()}{(reason is null ? "" : $": {reason}")}");
            }
        }
        else
        {
            if (!string.Equals(record.Folder, folder.PathDisplay, StringComparison.Ordinal))
            {
                record = Note(record with { Folder = folder.PathDisplay }, $"the folder is now {folder.PathDisplay}");
            }

            if (observed is ReviewState.Approved or ReviewState.Rejected && notes?.ContentHash != record.NotesHash && notes is not null)
            {
                var reason = await ReadNotesAsync(root, notes, cancellationToken).ConfigureAwait(false);
                record = Note(record with { Reason = reason, NotesHash = notes.ContentHash }, $"reason: {reason}");
            }
        }

        if (record.State == ReviewState.Approved && record.Publication is null && record.PublishTo is { } publishTo)
        {
            record = await PublishAsync(record, publishTo, Note, cancellationToken).ConfigureAwait(false);
        }

        return (record, what);
    }

    // At most once: a publication on record is never repeated, and the publisher leaves a destination that already
    // holds exactly this output alone (a record lost after the copy).
    private async Task<ReviewRecord> PublishAsync(ReviewRecord record, string publishTo, Func<ReviewRecord, string, ReviewRecord> note, CancellationToken cancellationToken)
    {
        try
        {
            var plan = await store.ReadJsonAsync<RenderPlan>(RenderPlan.PlanKeyOf(record.RenderId), cancellationToken).ConfigureAwait(false);
            var result = await store.TryReadJsonAsync<RenderResult>(plan.ResultKey, cancellationToken).ConfigureAwait(false)
                ?? throw new RotoscopeException($"render {record.RenderId} has no result any more: render it again to publish it");
            var publication = await publisher.PublishAsync(plan, result, publishTo, cancellationToken).ConfigureAwait(false);
            return note(record with { Publication = publication, PublicationError = null }, $"published to {publication.Destination}");
        }
        catch (Exception e) when (e is RotoscopeException or BlobNotFoundException or IOException or HttpRequestException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
        {
            var message = $"publishing to {publishTo} failed: {e.Message} (tried again on the next watch)";
            return record.PublicationError == message ? record : note(record with { PublicationError = message }, message);
        }
    }

    private static async Task<DropboxEntry?> AdoptAsync(ReviewFolderView view, string renderId, HashSet<string> claimed, CancellationToken cancellationToken)
    {
        foreach (var (file, folder) in view.MetadataFiles())
        {
            if (folder.Id is null || claimed.Contains(folder.Id))
            {
                continue;
            }

            try
            {
                using var download = await view.Root.Client.DownloadAsync(file.PathDisplay, 0, cancellationToken).ConfigureAwait(false);
                using var document = await JsonDocument.ParseAsync(download.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (document.RootElement.TryGetProperty("renderId", out var id) && id.GetString() == renderId)
                {
                    claimed.Add(folder.Id);
                    return folder;
                }
            }
            catch (Exception e) when (e is JsonException or DropboxApiException or InvalidOperationException)
            {
                // Someone's edit made it unreadable, or it went away meanwhile: not ours to adopt.
            }
        }

        return null;
    }

    // The reviewer's notes, as one tidy paragraph of at most 1000 characters.
    private static async Task<string?> ReadNotesAsync(ReviewRoot root, DropboxEntry notes, CancellationToken cancellationToken)
    {
        try
        {
            using var download = await root.Client.DownloadAsync(notes.PathDisplay, 0, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[MaxNotesBytes];
            var read = await download.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            var text = string.Join(" ", Encoding.UTF8.GetString(buffer, 0, read).TrimStart('\uFEFF').Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return text.Length == 0 ? null : text.Length > 1000 ? text[..1000] + "…" : text;
        }
        catch (DropboxApiException e) when (e.Tag == "path")
        {
            return null; // removed between the listing and the read
        }
    }
}
