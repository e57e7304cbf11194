namespace Rotoscope.Core;

/// <summary>"Did you mean…": the names closest to a mistyped one, for error messages.</summary>
public static class NearMatches
{
    /// <summary>Up to three of <paramref name="candidates"/> within a few edits of <paramref name="typed"/>, or sharing its start; nearest first.</summary>
    public static IReadOnlyList<string> Of(string typed, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(candidates);
        return candidates
            .Select(candidate => (candidate, distance: EditDistance(typed, candidate)))
            .Where(c => c.distance <= Math.Max(2, typed.Length / 3) || c.candidate.StartsWith(typed, StringComparison.Ordinal) || typed.StartsWith(c.candidate, StringComparison.Ordinal))
            .OrderBy(c => c.distance)
            .ThenBy(c => c.candidate, StringComparer.Ordinal)
            .Take(3)
            .Select(c => c.candidate)
            .ToList();
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
