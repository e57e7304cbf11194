namespace Rotoscope.Core.Storage;

/// <summary>Where a video is read from or written to, parsed from what the user typed.</summary>
public abstract record MediaLocation
{
    /// <summary>What the user typed, for messages.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// Parses a plain path, <c>file://</c>, <c>data://</c>, <c>s3://</c> or <c>s3+label://</c> URI. <c>dropbox://</c> is
    /// refused with a clear message: this version has no connector for it.
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
            case "s3":
            case var labelled when labelled.StartsWith("s3+", StringComparison.Ordinal):
                var label = scheme == "s3" ? null : scheme["s3+".Length..];
                if (label is { Length: 0 } || rest.Length == 0)
                {
                    throw new RotoscopeException($"'{text}' is not a valid S3 URI (s3://bucket/key or s3+label://key)");
                }

                return new Remote("s3", label, rest) { Text = text };
            default:
                if (scheme.StartsWith("dropbox", StringComparison.Ordinal))
                {
                    throw new RotoscopeException($"'{text}': {scheme}:// is not supported by this version of rotoscope (use a path, file://, data:// or s3://)");
                }

                throw new RotoscopeException($"'{text}': unknown URI scheme '{scheme}' (use a path, file://, data:// or s3://)");
        }
    }

    /// <summary>A file on this machine.</summary>
    public sealed record LocalFile(string Path) : MediaLocation;

    /// <summary>A blob in the hosted <c>data://</c> store.</summary>
    public sealed record StoreObject(BlobKey Key) : MediaLocation;

    /// <summary>An object reached through a connector: <c>s3://bucket/key</c> (Label null: the default connector) or <c>s3+label://key</c>.</summary>
    public sealed record Remote(string Kind, string? Label, string Path) : MediaLocation;
}
