using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>
/// What a review root holds, kept current from Dropbox's listing: a full list_folder once, then only the changes
/// (list_folder/continue) after each longpoll says there are some.
/// </summary>
internal sealed class ReviewFolderView
{
    private readonly Dictionary<string, DropboxEntry> entries = new(StringComparer.Ordinal);

    private ReviewFolderView(ReviewRoot root, string cursor)
    {
        Root = root;
        Cursor = cursor;
    }

    public ReviewRoot Root { get; }

    /// <summary>The cursor at what this view holds: longpoll on it, continue from it.</summary>
    public string Cursor { get; private set; }

    /// <summary>Lists the whole root (every page).</summary>
    public static async Task<ReviewFolderView> ListAsync(ReviewRoot root, CancellationToken cancellationToken)
    {
        var page = await root.Client.ListFolderAsync(root.Path, recursive: true, cancellationToken).ConfigureAwait(false);
        var view = new ReviewFolderView(root, page.Cursor);
        view.Apply(page.Entries);
        while (page.HasMore)
        {
            page = await root.Client.ListFolderContinueAsync(view.Cursor, cancellationToken).ConfigureAwait(false);
            view.Apply(page.Entries);
            view.Cursor = page.Cursor;
        }

        return view;
    }

    /// <summary>The view as <paramref name="snapshot"/> kept it; <see cref="ContinueAsync"/> brings it up to date.</summary>
    public static ReviewFolderView FromSnapshot(ReviewRoot root, ReviewViewSnapshot snapshot)
    {
        var view = new ReviewFolderView(root, snapshot.Cursor);
        view.Apply(snapshot.Entries);
        return view;
    }

    /// <summary>What this view holds, to be taken up again by <see cref="FromSnapshot"/>.</summary>
    public ReviewViewSnapshot Snapshot() => new(Root.Uri, Cursor, [.. entries.Values.OrderBy(e => e.PathLower, StringComparer.Ordinal)]);

    /// <summary>Takes in what changed since <see cref="Cursor"/>.</summary>
    public async Task ContinueAsync(CancellationToken cancellationToken)
    {
        DropboxListPage page;
        do
        {
            page = await Root.Client.ListFolderContinueAsync(Cursor, cancellationToken).ConfigureAwait(false);
            Apply(page.Entries);
            Cursor = page.Cursor;
        }
        while (page.HasMore);
    }

    /// <summary>The folder with Dropbox id <paramref name="id"/>, or null when it is not in the root.</summary>
    public DropboxEntry? FolderById(string id) =>
        entries.Values.FirstOrDefault(e => e.Kind == DropboxEntryKind.Folder && e.Id == id);

    /// <summary>The files directly inside <paramref name="folderLower"/>.</summary>
    public IEnumerable<DropboxEntry> FilesIn(string folderLower) =>
        entries.Values.Where(e => e.Kind == DropboxEntryKind.File && e.PathLower.LastIndexOf('/') == folderLower.Length && e.PathLower.StartsWith(folderLower + "/", StringComparison.Ordinal));

    /// <summary>The metadata files (rotoscope.json) in the root, with the folder holding each.</summary>
    public IEnumerable<(DropboxEntry File, DropboxEntry Folder)> MetadataFiles()
    {
        foreach (var file in entries.Values.Where(e => e.Kind == DropboxEntryKind.File && string.Equals(e.Name, ReviewNames.Metadata, StringComparison.OrdinalIgnoreCase)))
        {
            var parent = file.PathLower[..file.PathLower.LastIndexOf('/')];
            if (entries.TryGetValue(parent, out var folder) && folder.Kind == DropboxEntryKind.Folder)
            {
                yield return (file, folder);
            }
        }
    }

    // Applied in order: a deletion removes the path and everything below it (a moved folder's old place), then what
    // exists now is added.
    private void Apply(IReadOnlyList<DropboxEntry> page)
    {
        foreach (var entry in page)
        {
            if (entry.Kind == DropboxEntryKind.Deleted)
            {
                entries.Remove(entry.PathLower);
                foreach (var below in entries.Keys.Where(k => k.StartsWith(entry.PathLower + "/", StringComparison.Ordinal)).ToList())
                {
                    entries.Remove(below);
                }
            }
            else
            {
                entries[entry.PathLower] = entry;
            }
        }
    }
}

/// <summary>A review root's listing and the cursor at it, kept in the frame store between passes of the watcher.</summary>
internal sealed record ReviewViewSnapshot(string Root, string Cursor, IReadOnlyList<DropboxEntry> Entries);
