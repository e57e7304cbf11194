namespace Rotoscope.Core.Storage;

/// <summary>
/// A blob store in a Dropbox folder, keys under <paramref name="root"/> (<c>""</c> for the whole Dropbox, else
/// <c>/Folder/Sub</c>). Writes are atomic the Dropbox way: a file is committed only once all of it has arrived.
/// </summary>
/// <remarks>Dropbox paths are case-insensitive: <c>a.mp4</c> and <c>A.MP4</c> name the same file.</remarks>
public sealed class DropboxBlobStore(DropboxClient client, string root, bool writable, string description) : IBlobStore
{
    /// <inheritdoc/>
    public string Description => description;

    /// <inheritdoc/>
    /// <remarks>Dropbox serialises writes within an account and answers too_many_write_operations past a few at once.</remarks>
    public int ParallelTransfers => 4;

    /// <summary>A store of the same connector rooted at <paramref name="folder"/> inside this one.</summary>
    public DropboxBlobStore Under(BlobKey? folder) =>
        folder is { } key ? new DropboxBlobStore(client, PathOf(key), writable, $"{description}{key}/") : this;

    /// <inheritdoc/>
    public async Task<BlobEntry?> StatAsync(BlobKey key, CancellationToken cancellationToken)
    {
        var entry = await Call(key, () => client.GetMetadataAsync(PathOf(key), cancellationToken)).ConfigureAwait(false);
        return entry is { Kind: DropboxEntryKind.File } file ? new BlobEntry(key, file.Size, file.Modified, file.Rev ?? "") : null;
    }

    /// <inheritdoc/>
    public async Task<Stream> OpenReadAsync(BlobKey key, CancellationToken cancellationToken)
    {
        try
        {
            var download = await client.DownloadAsync(PathOf(key), 0, cancellationToken).ConfigureAwait(false);
            return new ResumingStream(this, key, download);
        }
        catch (DropboxApiException e) when (e is { Tag: "path", InnerTag: "not_found" or "not_file" })
        {
            throw new BlobNotFoundException(key, description);
        }
        catch (Exception e) when (e is DropboxApiException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(BlobKey key, Stream content, CancellationToken cancellationToken)
    {
        EnsureWritable(key);
        return Call(key, () => client.UploadAsync(PathOf(key), content, cancellationToken));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobEntry> ListAsync(BlobKey? folder, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Dropbox lists in no particular order; the port promises key order, so the listing is gathered first.
        var path = folder is { } under ? PathOf(under) : root;
        var entries = new List<BlobEntry>();
        try
        {
            await foreach (var entry in client.ListAllAsync(path, recursive: true, cancellationToken).ConfigureAwait(false))
            {
                if (entry.Kind == DropboxEntryKind.File
                    && entry.PathLower.StartsWith(root.ToLowerInvariant() + "/", StringComparison.Ordinal)
                    && BlobKey.TryParse(entry.PathDisplay[(root.Length + 1)..], out var key, out _))
                {
                    entries.Add(new BlobEntry(key, entry.Size, entry.Modified, entry.Rev ?? ""));
                }
            }
        }
        catch (DropboxApiException e) when (e is { Tag: "path", InnerTag: "not_found" })
        {
            // An empty folder and a missing one are the same to a blob store.
        }
        catch (Exception e) when (e is DropboxApiException or HttpRequestException or IOException)
        {
            throw Failure(folder ?? default, e);
        }

        foreach (var entry in entries.OrderBy(e => e.Key.Value, StringComparer.Ordinal))
        {
            yield return entry;
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobKey key, CancellationToken cancellationToken)
    {
        EnsureWritable(key);
        return Call(key, () => client.DeleteAsync(PathOf(key), cancellationToken));
    }

    /// <summary>The connector's client, for calls beyond a blob store's (folders, moves, shared links: Review/).</summary>
    internal DropboxClient Client => client;

    /// <summary>Whether the connector may write.</summary>
    internal bool Writable => writable;

    /// <summary>The Dropbox path of <paramref name="folder"/> in this store (null: the store's root; "" is the Dropbox root).</summary>
    internal string FolderPath(BlobKey? folder) => folder is { } key ? PathOf(key) : root;

    private string PathOf(BlobKey key) => $"{root}/{key.Value}";

    private void EnsureWritable(BlobKey key)
    {
        if (!writable)
        {
            throw new RotoscopeException($"cannot write {description}{key}: the connector is read-only (add it with --write to allow writes)");
        }
    }

    private async Task<T> Call<T>(BlobKey key, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is DropboxApiException or HttpRequestException or IOException)
        {
            throw Failure(key, e);
        }
    }

    // One line a user can act on, from the error's tags (never its summary text, and never a token).
    private RotoscopeException Failure(BlobKey key, Exception error)
    {
        var reason = error switch
        {
            DropboxApiException { InnerTag: "insufficient_space" } => "the Dropbox account is full",
            DropboxApiException { InnerTag: "no_write_permission" } => "the app may not write there",
            DropboxApiException { InnerTag: "disallowed_name" or "malformed_path" } => "Dropbox does not accept this name",
            DropboxApiException { InnerTag: "not_found" } => "not found",
            DropboxApiException { InnerTag: "conflict" } => "a folder or file of that name is in the way",
            DropboxApiException api => $"Dropbox answered {api.Tag}{(api.InnerTag is { } inner ? "/" + inner : "")}",
            IOException { Message: var message } when message.Contains("content hash", StringComparison.Ordinal) => message,
            _ => $"cannot reach Dropbox ({error.GetBaseException().Message})",
        };
        return new RotoscopeException($"{description}{key}: {reason}", error);
    }

    /// <summary>
    /// The file's body. A connection lost while it is read is survived by asking again for the rest of the same
    /// revision (a ranged download of rev:…), a few times. Disposing it releases the connection.
    /// </summary>
    private sealed class ResumingStream(DropboxBlobStore store, BlobKey key, DropboxDownload first) : ReadOnlyStream
    {
        private const int MaxResumes = 5;
        private readonly long length = first.Entry.Size;
        private readonly string revision = first.Entry.Rev ?? "";
        private DropboxDownload download = first;
        private int resumes;

        public override long Length => length;

        protected override async ValueTask<int> ReadAtAsync(long position, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    var read = await download.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (read == 0 && position < length)
                    {
                        throw new IOException($"the download ended at byte {position} of {length}");
                    }

                    return read;
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    if (++resumes > MaxResumes)
                    {
                        throw store.Failure(key, e);
                    }

                    download.Dispose();
                    try
                    {
                        download = await store.Client.DownloadAsync($"rev:{revision}", position, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception again) when (again is DropboxApiException or HttpRequestException or IOException)
                    {
                        throw store.Failure(key, again); // Changed or gone since the read began, or Dropbox is down for good.
                    }
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                download.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
