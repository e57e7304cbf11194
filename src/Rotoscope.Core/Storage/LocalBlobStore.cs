using System.Runtime.CompilerServices;

namespace Rotoscope.Core.Storage;

/// <summary>A blob store in a local directory: the <c>data://</c> store on one machine.</summary>
public sealed class LocalBlobStore : IBlobStore
{
    private const string PartialSuffix = ".partial";

    /// <summary>Creates a store rooted at <paramref name="root"/> (created when missing).</summary>
    public LocalBlobStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The absolute root directory.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Description => $"data:// at {Root}";

    /// <inheritdoc/>
    public int ParallelTransfers => Environment.ProcessorCount;

    /// <summary>The local file that holds <paramref name="key"/> (it may not exist).</summary>
    public string PathOf(BlobKey key) => Path.Combine(Root, key.Value.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// The local file of a style model the catalog names as a <c>data://</c> URI (user styles live in this store),
    /// for <c>StyleCatalog.Resolve</c>; one line when the URI is not a valid key.
    /// </summary>
    public string ModelPathOf(string uri) =>
        BlobKey.TryParse(uri["data://".Length..], out var key, out var reason)
            ? PathOf(key)
            : throw new RotoscopeException($"'{uri}' is not a valid data:// model URI: {reason}");

    /// <inheritdoc/>
    public Task<BlobEntry?> StatAsync(BlobKey key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult<BlobEntry?>(file.Exists ? Entry(key, file) : null);
    }

    private static BlobEntry Entry(BlobKey key, FileInfo file) =>
        new(key, file.Length, file.LastWriteTimeUtc, $"{file.Length}-{file.LastWriteTimeUtc.Ticks}");

    /// <inheritdoc/>
    public Task<Stream> OpenReadAsync(BlobKey key, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(key, Description);
        }
    }

    /// <inheritdoc/>
    public async Task WriteAsync(BlobKey key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Write beside the target and rename: readers never see a partial blob, and a crash leaves only a .partial file.
        var partial = $"{path}.{Guid.NewGuid():N}{PartialSuffix}";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            DurableFile.Commit(partial, path);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobEntry> ListAsync(BlobKey? folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var directory = folder is { } key ? PathOf(key) : Root;
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        var files = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !f.Name.EndsWith(PartialSuffix, StringComparison.Ordinal))
            .Select(f => (Key: Path.GetRelativePath(Root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), File: f))
            .OrderBy(f => f.Key, StringComparer.Ordinal);
        foreach (var (name, file) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (BlobKey.TryParse(name, out var parsed, out _))
            {
                yield return Entry(parsed, file);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobKey key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        File.Delete(path);

        // Folders are only how keys are laid out here: one left empty goes too, as it would not exist in S3.
        for (var folder = Path.GetDirectoryName(path); folder is not null && folder.Length > Root.Length; folder = Path.GetDirectoryName(folder))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    break;
                }

                Directory.Delete(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                break; // Not empty after all (a concurrent write), or not ours to remove.
            }
        }

        return Task.CompletedTask;
    }
}
