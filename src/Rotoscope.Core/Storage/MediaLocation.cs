namespace Rotoscope.Core.Storage;

/// <summary>Where a video is read from or written to, parsed from what the user typed.</summary>
public abstract record MediaLocation
{
    /// <summary>What the user typed, for messages.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// The same for every spelling of the same place: a Dropbox path in lower case (Dropbox ignores case), anything
    /// else as typed. Render ids and output locks are keyed by it.
    /// </summary>
    public string Identity => this is Remote { Kind: "dropbox" } ? Text.ToLowerInvariant() : this is LocalFile file ? file.Path : Text;

    /// <summary>
    /// Parses a plain path or a <c>file://</c>, <c>data://</c>, <c>s3://</c>, <c>s3+label://</c>, <c>dropbox://</c> or
    /// <c>dropbox+label://</c> URI.
    /// </summary>
    public static MediaLocation Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return new LocalFile(Path.GetFullPath(text)) { Text = text };
        }

        var scheme = text[..schemeEnd].ToLowerInvariant();
        var rest = text[(schemeEnd + 3)..];
        switch (scheme)
        {
            case "file":
                return new LocalFile(Path.GetFullPath(Uri.UnescapeDataString(rest))) { Text = text };
            case "data":
                return BlobKey.TryParse(rest, out var key, out var reason)
                    ? new StoreObject(key) { Text = text }
                    : throw new RotoscopeException($"'{text}' is not a valid data:// URI: {reason}");
            case "s3" or "dropbox":
            case var labelled when labelled.StartsWith("s3+", StringComparison.Ordinal) || labelled.StartsWith("dropbox+", StringComparison.Ordinal):
                var kind = scheme.Split('+')[0];
                var label = scheme == kind ? null : scheme[(kind.Length + 1)..];
                if (label is { Length: 0 } || rest.Length == 0)
                {
                    throw new RotoscopeException(kind == "s3"
                        ? $"'{text}' is not a valid S3 URI (s3://bucket/key or s3+label://key)"
                        : $"'{text}' is not a valid Dropbox URI (dropbox://folder/file or dropbox+label://file)");
                }

                return new Remote(kind, label, rest) { Text = text };
            default:
                throw new RotoscopeException($"'{text}': unknown URI scheme '{scheme}' (use a path, file://, data://, s3:// or dropbox://)");
        }
    }

    /// <summary>A file on this machine.</summary>
    public sealed record LocalFile(string Path) : MediaLocation;

    /// <summary>A blob in the hosted <c>data://</c> store.</summary>
    public sealed record StoreObject(BlobKey Key) : MediaLocation;

    /// <summary>
    /// An object reached through a connector of <paramref name="Kind"/> (s3, dropbox): <c>s3://bucket/key</c> or
    /// <c>dropbox://folder/file</c> (Label null: the default connector), or <c>s3+label://key</c>, <c>dropbox+label://file</c>.
    /// </summary>
    public sealed record Remote(string Kind, string? Label, string Path) : MediaLocation;
}
