using System.Text;
using System.Text.RegularExpressions;

namespace Rotoscope.Core.Media;

/// <summary>The last lines a tool wrote to stderr, bounded in count and length; safe to read while it is written.</summary>
internal sealed partial class StderrTail
{
    private const int MaxLines = 40;
    private const int MaxLineLength = 500;

    // Generic trailers that say nothing about the cause.
    private static readonly string[] Noise = ["Conversion failed!", "Exiting normally"];

    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string line)
    {
        var trimmed = line.TrimEnd();
        if (trimmed.Length > MaxLineLength)
        {
            trimmed = string.Concat(trimmed.AsSpan(0, MaxLineLength), "…");
        }

        lock (_gate)
        {
            _lines.Enqueue(trimmed);
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            foreach (var line in _lines)
            {
                text.Append(line).Append('\n');
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// The last line that says something: without "[demuxer @ 0x…] " and "&lt;input path&gt;: " prefixes; null if none.
    /// </summary>
    public string? LastMeaningfulLine(string? inputPath = null)
    {
        string[] lines;
        lock (_gate)
        {
            lines = [.. _lines];
        }

        return Meaningful(lines, inputPath);
    }

    internal static string? Meaningful(IReadOnlyList<string> lines, string? inputPath)
    {
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            var line = ContextPrefix().Replace(lines[i], string.Empty).Trim();
            foreach (var prefix in new[] { inputPath, inputPath is null ? null : Path.GetFullPath(inputPath) })
            {
                if (!string.IsNullOrEmpty(prefix) && line.StartsWith(prefix + ": ", StringComparison.Ordinal))
                {
                    line = line[(prefix.Length + 2)..].Trim();
                }
            }

            if (line.Length == 0 || line.EndsWith("--", StringComparison.Ordinal)
                || Noise.Any(n => line.StartsWith(n, StringComparison.Ordinal)))
            {
                continue;
            }

            return line;
        }

        return null;
    }

    [GeneratedRegex(@"^(\[[^\]]+ @ 0x[0-9a-fA-F]+\]\s*)+")]
    private static partial Regex ContextPrefix();
}
