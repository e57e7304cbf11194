using System.Diagnostics.CodeAnalysis;

namespace Rotoscope.Core.Storage;

/// <summary>A validated key in a blob store: '/'-separated, non-empty segments of any printable text.</summary>
/// <remarks>
/// No segment may be "." or ".." (nor encode them, as %2e), and no key holds a backslash or a control character, so a key
/// can never name a path outside its store's root, whatever the store (a folder, an S3 bucket).
/// </remarks>
public readonly record struct BlobKey
{
    private BlobKey(string value) => Value = value;

    /// <summary>The key as text, e.g. <c>frames/ab12/000001.jpg</c>.</summary>
    public string Value { get; }

    /// <summary>Parses <paramref name="value"/>, throwing <see cref="ArgumentException"/> when it is not a safe key.</summary>
    public static BlobKey Parse(string value) =>
        TryParse(value, out var key, out var reason) ? key : throw new ArgumentException($"invalid storage key '{value}': {reason}", nameof(value));

    /// <summary>Tries to parse <paramref name="value"/>; <paramref name="reason"/> says why it is not a key.</summary>
    public static bool TryParse(string? value, out BlobKey key, [NotNullWhen(false)] out string? reason)
    {
        key = default;
        if (string.IsNullOrEmpty(value))
        {
            reason = "it is empty";
            return false;
        }

        foreach (var segment in value.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                reason = "empty, '.' and '..' segments are not allowed";
                return false;
            }

            var decoded = Uri.UnescapeDataString(segment);
            if (decoded is "." or ".." || decoded.Contains('/', StringComparison.Ordinal))
            {
                reason = "encoded '.', '..' and '/' are not allowed";
                return false;
            }

            foreach (var c in segment)
            {
                if (char.IsControl(c) || c == '\\')
                {
                    reason = c == '\\' ? "'\\' is not allowed" : "control characters are not allowed";
                    return false;
                }
            }
        }

        key = new BlobKey(value);
        reason = null;
        return true;
    }

    /// <summary>The key of <paramref name="child"/> (one or more segments) below this key.</summary>
    public BlobKey Append(string child) => Parse($"{Value}/{child}");

    /// <inheritdoc/>
    public override string ToString() => Value;
}
