using System.Runtime.CompilerServices;
using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>Where a render's review stands.</summary>
public enum ReviewState
{
    /// <summary>Its folder is in the review root, waiting for a person.</summary>
    Pending,

    /// <summary>Its folder was moved into Approved/: the output is published to the render's destination (once).</summary>
    Approved,

    /// <summary>Its folder was moved into Rejected/: nothing is published; the reason (notes.txt) is kept.</summary>
    Rejected,

    /// <summary>Its folder was deleted (or moved out of the review root) while pending: nothing is published.</summary>
    Missing,
}

/// <summary>
/// The record of a render's review, kept in the frame store at <c>renders/ID/review.json</c>: the CLI, the watcher and
/// the dashboard all read this one truth.
/// </summary>
/// <param name="Root">The review root as given, e.g. <c>dropbox+review://Reviews/</c>.</param>
/// <param name="Name">The folder's name as Rotoscope created it (a reviewer may rename it; <see cref="Folder"/> follows).</param>
/// <param name="FolderId">Dropbox's id of the folder, which stays with it through moves and renames.</param>
/// <param name="Folder">Where the folder is now (a Dropbox path); null once it is gone.</param>
/// <param name="Link">The folder's shared link.</param>
/// <param name="Input">The input's file name.</param>
/// <param name="Styles">The style chain, e.g. <c>mosaic@1.0.0</c>.</param>
/// <param name="InputSha256">The input's content hash: a later review of the same input links to a rejected one.</param>
/// <param name="PublishedAt">When the review was first published.</param>
/// <param name="UpdatedAt">When the record last changed.</param>
/// <param name="DecidedAt">When Rotoscope noticed the decision (Dropbox does not date folder moves).</param>
/// <param name="Reason">The reviewer's notes.txt, when the decision came with one.</param>
/// <param name="PublishTo">Where the approved output goes (any URI); null: an approval publishes nothing.</param>
/// <param name="Publication">The publication of the approved output, once it happened.</param>
/// <param name="PublicationError">Why the last attempt to publish failed (it is tried again on the next watch).</param>
/// <param name="Supersedes">The render id of an earlier, rejected review of the same input.</param>
/// <param name="NotesHash">Dropbox's content hash of the notes.txt last read.</param>
/// <param name="History">What happened, oldest first.</param>
public sealed record ReviewRecord(
    string RenderId,
    string Root,
    string Name,
    string? FolderId,
    string? Folder,
    string Link,
    ReviewState State,
    string Input,
    string Styles,
    string InputSha256,
    DateTimeOffset PublishedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DecidedAt,
    string? Reason,
    string? PublishTo,
    ReviewPublication? Publication,
    string? PublicationError,
    string? Supersedes,
    string? NotesHash,
    IReadOnlyList<ReviewEvent> History)
{
    /// <summary>The key of render <paramref name="renderId"/>'s review record.</summary>
    public static BlobKey KeyOf(string renderId) => BlobKey.Parse($"renders/{renderId}/review.json");

    /// <summary>The review record of <paramref name="renderId"/>, or null when it was never published for review.</summary>
    public static async Task<ReviewRecord?> ReadAsync(IBlobStore store, string renderId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return BlobKey.TryParse($"renders/{renderId}/review.json", out var key, out _)
            ? await store.TryReadJsonAsync<ReviewRecord>(key, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>Every review record in the store.</summary>
    public static async IAsyncEnumerable<ReviewRecord> ListAsync(IBlobStore store, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var keys = new List<BlobKey>();
        await foreach (var entry in store.ListAsync(BlobKey.Parse("renders"), cancellationToken).ConfigureAwait(false))
        {
            if (entry.Key.Value.Split('/') is ["renders", _, "review.json"])
            {
                keys.Add(entry.Key);
            }
        }

        foreach (var key in keys)
        {
            if (await store.TryReadJsonAsync<ReviewRecord>(key, cancellationToken).ConfigureAwait(false) is { } record)
            {
                yield return record;
            }
        }
    }

    /// <summary>Writes the record.</summary>
    public Task WriteAsync(IBlobStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.WriteJsonAsync(KeyOf(RenderId), this, cancellationToken);
    }

    /// <summary>This record with <paramref name="what"/> added to its history at <paramref name="at"/>.</summary>
    public ReviewRecord With(DateTimeOffset at, string what) =>
        this with { UpdatedAt = at, History = [.. History, new ReviewEvent(at, State, what)] };
}

/// <summary>One thing that happened to a review: its state afterwards and what happened, in words.</summary>
public sealed record ReviewEvent(DateTimeOffset At, ReviewState State, string What);

/// <summary>The approved output, published: where, its SHA-256 (the render's own), and when.</summary>
public sealed record ReviewPublication(string Destination, string Sha256, DateTimeOffset At);
