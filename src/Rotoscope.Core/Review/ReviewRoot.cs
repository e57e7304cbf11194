using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Review;

/// <summary>
/// A review root: a Dropbox folder (<c>dropbox+label://Reviews/</c>) holding one folder per pending review, with
/// <see cref="ApprovedName"/>/ and <see cref="RejectedName"/>/ beside them.
/// </summary>
public sealed class ReviewRoot
{
    /// <summary>Where a reviewer moves what is approved.</summary>
    public const string ApprovedName = "Approved";

    /// <summary>Where a reviewer moves what is rejected.</summary>
    public const string RejectedName = "Rejected";

    private ReviewRoot(string uri, DropboxClient client, string path, bool writable)
    {
        Uri = uri;
        Client = client;
        Path = path;
        Writable = writable;
    }

    /// <summary>The root as given, with one trailing slash.</summary>
    public string Uri { get; }

    /// <summary>The Dropbox path of the root ("" for the whole Dropbox).</summary>
    public string Path { get; }

    /// <summary>The root's path in lower case, as Dropbox compares paths.</summary>
    public string PathLower => Path.ToLowerInvariant();

    /// <summary>Whether the connector may write here.</summary>
    public bool Writable { get; }

    internal DropboxClient Client { get; }

    /// <summary>One spelling for every spelling of the same root (Dropbox ignores case; a trailing slash is optional).</summary>
    public static string Identity(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return uri.TrimEnd('/').ToLowerInvariant() + "/";
    }

    /// <summary>Resolves <paramref name="uri"/> through the connectors; it must name a Dropbox folder.</summary>
    public static ReviewRoot Resolve(Connectors connectors, string uri, bool forWrite)
    {
        ArgumentNullException.ThrowIfNull(connectors);
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (!uri.StartsWith("dropbox", StringComparison.OrdinalIgnoreCase))
        {
            throw new RotoscopeException($"a review root is a Dropbox folder (dropbox+label://Reviews/), not '{uri}'");
        }

        var (store, folder) = connectors.ResolveFolder(uri, forWrite);
        var dropbox = store as DropboxBlobStore ?? throw new RotoscopeException($"a review root is a Dropbox folder (dropbox+label://Reviews/), not '{uri}'");
        return new ReviewRoot(uri.TrimEnd('/') + "/", dropbox.Client, dropbox.FolderPath(folder), dropbox.Writable);
    }

    /// <summary>The Dropbox path of <paramref name="name"/> (one or more segments) inside the root.</summary>
    public string PathOf(string name) => $"{Path}/{name}";

    /// <summary>
    /// What a folder's place says about its review: inside Approved/ or Rejected/ (at any depth), a decision; anywhere
    /// else in the root, pending; outside the root, as good as gone.
    /// </summary>
    public ReviewState StateAt(string folderPathLower)
    {
        ArgumentNullException.ThrowIfNull(folderPathLower);
        if (!folderPathLower.StartsWith(PathLower + "/", StringComparison.Ordinal))
        {
            return ReviewState.Missing;
        }

        var inside = folderPathLower[(PathLower.Length + 1)..].Split('/');
        return inside switch
        {
            [var first, _, ..] when string.Equals(first, ApprovedName, StringComparison.OrdinalIgnoreCase) => ReviewState.Approved,
            [var first, _, ..] when string.Equals(first, RejectedName, StringComparison.OrdinalIgnoreCase) => ReviewState.Rejected,
            _ => ReviewState.Pending,
        };
    }
}
