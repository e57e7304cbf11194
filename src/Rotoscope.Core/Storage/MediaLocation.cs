namespace Rotoscope.Core.Storage;

/// <summary>Where a video is read from or written to, parsed from what the user typed.</summary>
public abstract record MediaLocation
{
    /// <summary>What the user typed, for messages.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// Parses a plain path, <c>file://</c> or <c>data://</c> URI. <c>s3://</c> and <c>dropbox://</c> are refused with a
    /// clear message: this version has no connectors for them.
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
            default:
                if (scheme.StartsWith("s3", StringComparison.Ordinal) || scheme.StartsWith("dropbox", StringComparison.Ordinal))
                {
                    throw new RotoscopeException($"'{text}': {scheme}:// is not supported by this version of rotoscope (use a path, file:// or data://)");
                }

                throw new RotoscopeException($"'{text}': unknown URI scheme '{scheme}' (use a path, file:// or data://)");
        }
    }

    /// <summary>A file on this machine.</summary>
    public sealed record LocalFile(string Path) : MediaLocation;

    /// <summary>A blob in the hosted <c>data://</c> store.</summary>
    public sealed record StoreObject(BlobKey Key) : MediaLocation;
}
