namespace Rotoscope.Core.Storage;

/// <summary>A store of immutable blobs by key: where frames, audio and render state live (local directory or S3).</summary>
/// <remarks>
/// Writes are atomic: a reader sees either nothing or the whole blob, never a partial one. The render pipeline relies on
/// that to treat "the blob exists" as "that piece of work is done".
/// </remarks>
public interface IBlobStore
{
    /// <summary>A short description for messages, e.g. <c>data:// at /home/me/.local/share/rotoscope/data</c>.</summary>
    string Description { get; }

    /// <summary>How many reads or writes at once keep the store busy: the cores for a folder, more over a network.</summary>
    int ParallelTransfers { get; }

    /// <summary>The complete blob at <paramref name="key"/> (size, date, version), or null when there is none.</summary>
    Task<BlobEntry?> StatAsync(BlobKey key, CancellationToken cancellationToken);

    /// <summary>Opens the blob for reading; throws <see cref="BlobNotFoundException"/> when it does not exist.</summary>
    Task<Stream> OpenReadAsync(BlobKey key, CancellationToken cancellationToken);

    /// <summary>Writes the blob atomically, replacing any previous one.</summary>
    Task WriteAsync(BlobKey key, Stream content, CancellationToken cancellationToken);

    /// <summary>Every blob in <paramref name="folder"/> and below (null: the whole store), in ordinal key order.</summary>
    IAsyncEnumerable<BlobEntry> ListAsync(BlobKey? folder, CancellationToken cancellationToken);

    /// <summary>Deletes the blob if it exists.</summary>
    Task DeleteAsync(BlobKey key, CancellationToken cancellationToken);
}

/// <summary>One blob: its key, size, when it was last written, and a version that changes whenever its content does.</summary>
/// <param name="Version">The ETag in S3; size and modification time in a folder.</param>
public readonly record struct BlobEntry(BlobKey Key, long Length, DateTimeOffset Modified, string Version);

/// <summary>Thrown when a blob that must exist does not.</summary>
public sealed class BlobNotFoundException(BlobKey key, string storeDescription)
    : Exception($"'{key}' was not found in {storeDescription}")
{
    /// <summary>The missing key.</summary>
    public BlobKey Key { get; } = key;
}
