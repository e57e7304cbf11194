using System.Text;
using System.Text.RegularExpressions;

namespace Rotoscope.Core.Stills;

/// <summary>
/// Which images a <c>stylize</c> input names: a root folder (local or a store URI) and an optional glob below it.
/// <c>photos/</c> is every image below photos/; <c>photos/*.jpg</c> the JPEGs directly in it; <c>data://stills/**/*.png</c>
/// the PNGs anywhere below stills/. Names are relative to the root, and outputs keep them.
/// </summary>
/// <param name="Root">The folder the names are relative to: a path, or a URI ending in <c>/</c> (or <c>://</c>).</param>
/// <param name="Pattern">A glob on the names (<c>*</c> and <c>?</c> within a segment, <c>**</c> across segments, <c>[abc]</c>; letters in either case), or null for every name.</param>
public sealed record StillSelection(string Root, string? Pattern)
{
    /// <summary>Extensions styled; anything else under the root is listed as not an image.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png" };

    private static readonly char[] GlobCharacters = ['*', '?', '['];

    private Regex? regex;

    /// <summary>Whether the root is a URI (store or connector) rather than a local path.</summary>
    public bool IsUri => Root.Contains("://", StringComparison.Ordinal) && !Root.StartsWith("file://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Splits what the user typed at its first segment holding a glob character: the segments before are the root, the
    /// rest the pattern. Without one, the whole text is the root (a folder: everything below it).
    /// </summary>
    public static StillSelection Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        var (scheme, path) = schemeEnd < 0 ? ("", text) : (text[..(schemeEnd + 3)], text[(schemeEnd + 3)..]);
        var segments = path.Split('/');
        var first = Array.FindIndex(segments, s => s.IndexOfAny(GlobCharacters) >= 0);
        if (first < 0)
        {
            return new StillSelection(scheme.Length > 0 && !path.EndsWith('/') && path.Length > 0 ? text + "/" : text, null);
        }

        var root = string.Join('/', segments[..first]);
        var pattern = string.Join('/', segments[first..]);
        if (pattern.Length == 0 || pattern.EndsWith('/'))
        {
            pattern += "**";
        }

        return scheme.Length > 0
            ? new StillSelection(scheme + (root.Length > 0 ? root + "/" : ""), pattern)
            : new StillSelection(first == 0 ? "." : (root.Length == 0 ? "/" : root), pattern);
    }

    /// <summary>Whether <paramref name="name"/> (relative to the root, '/'-separated) is selected.</summary>
    public bool Matches(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Pattern is null)
        {
            return true;
        }

        // Letters match either case: cameras name files IMG_0001.JPG, people type *.jpg.
        regex ??= new Regex(ToRegex(Pattern), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.IgnoreCase);
        return regex.IsMatch(name);
    }

    /// <summary>Whether <paramref name="name"/> is a JPEG or PNG by its extension.</summary>
    public static bool IsImageName(string name) => ImageExtensions.Contains(Path.GetExtension(name));

    // '**/' matches any number of whole segments (none included), '*' and '?' stay within one segment.
    internal static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '[' && pattern.IndexOf(']', i + 1) is var end and > 0)
            {
                var set = pattern[(i + 1)..end];
                var negated = set.StartsWith('!');
                regex.Append(negated ? "[^" : "[").Append(Regex.Escape(negated ? set[1..] : set).Replace("\\-", "-", StringComparison.Ordinal)).Append(']');
                i = end;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return regex.Append('$').ToString();
    }
}
