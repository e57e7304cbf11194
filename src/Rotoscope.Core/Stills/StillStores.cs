using Rotoscope.Core.Storage;

namespace Rotoscope.Core.Stills;

/// <summary>
/// Turns a stylize root (a local folder or a store URI) into a blob store and folder, so that listing, reading and
/// writing images is the same everywhere. A local folder is a <see cref="LocalBlobStore"/> rooted there: its writes go to
/// a temporary name and are renamed into place, like every other store's.
/// </summary>
public sealed class StillStores(Connectors connectors)
{
    /// <summary>The store and folder (null: the store's root) that <paramref name="root"/> names.</summary>
    public (IBlobStore Store, BlobKey? Folder) Resolve(string root, bool forWrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        return IsLocal(root)
            ? (new LocalBlobStore(LocalPath(root)), null)
            : connectors.ResolveFolder(root, forWrite);
    }

    /// <summary>Whether <paramref name="root"/> is a local folder (a path or <c>file://</c>).</summary>
    public static bool IsLocal(string root) =>
        !root.Contains("://", StringComparison.Ordinal) || root.StartsWith("file://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The absolute path of a local root.</summary>
    public static string LocalPath(string root) => Path.GetFullPath(root.StartsWith("file://", StringComparison.OrdinalIgnoreCase)
        ? Uri.UnescapeDataString(root["file://".Length..])
        : root);

    /// <summary>The key of <paramref name="name"/> below <paramref name="folder"/>.</summary>
    public static BlobKey KeyOf(BlobKey? folder, string name) => folder is { } f ? f.Append(name) : BlobKey.Parse(name);

    /// <summary>The name of <paramref name="key"/> relative to <paramref name="folder"/>.</summary>
    public static string NameOf(BlobKey? folder, BlobKey key) => folder is { } f ? key.Value[(f.Value.Length + 1)..] : key.Value;

    /// <summary>How a user would write <paramref name="name"/> below <paramref name="root"/>, for messages.</summary>
    public static string Display(string root, string name) => IsLocal(root)
        ? Path.Combine(root, name)
        : root.EndsWith('/') ? root + name : $"{root}/{name}";

    /// <summary>The same text for every spelling of the same folder (an absolute path; Dropbox in lower case), ending in '/'.</summary>
    public static string IdentityOf(string root)
    {
        if (IsLocal(root))
        {
            return Path.TrimEndingDirectorySeparator(LocalPath(root)) + "/";
        }

        var text = root.EndsWith('/') ? root : root + "/";
        return text.StartsWith("dropbox", StringComparison.OrdinalIgnoreCase) ? text.ToLowerInvariant() : text;
    }
}
