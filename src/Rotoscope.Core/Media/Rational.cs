using System.Globalization;

namespace Rotoscope.Core.Media;

/// <summary>A positive rational number such as a frame rate (30000/1001), always stored reduced.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(RationalJsonConverter))]
public readonly record struct Rational(long Numerator, long Denominator)
{
    // The explicit properties reduce and validate the primary-constructor arguments; with no setter,
    // a `with` expression cannot bypass that.
    public long Numerator { get; } = Numerator / Gcd(Validated(Numerator, Denominator), Denominator);

    public long Denominator { get; } = Denominator / Gcd(Numerator, Denominator);

    /// <summary>Parses "30000/1001" or "60".</summary>
    public static Rational Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a positive rational number such as 30000/1001 or 60");
    }

    /// <summary>Parses "30000/1001" or "60"; false for anything else, including zero and ffprobe's "0/0".</summary>
    public static bool TryParse(string? text, out Rational value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.AsSpan().Trim();
        var slash = span.IndexOf('/');
        var numeratorText = slash < 0 ? span : span[..slash];
        var denominatorText = slash < 0 ? "1" : span[(slash + 1)..];
        if (!long.TryParse(numeratorText, NumberStyles.None, CultureInfo.InvariantCulture, out var numerator)
            || !long.TryParse(denominatorText, NumberStyles.None, CultureInfo.InvariantCulture, out var denominator)
            || numerator <= 0
            || denominator <= 0)
        {
            return false;
        }

        value = new Rational(numerator, denominator);
        return true;
    }

    public double ToDouble() => (double)Numerator / Denominator;

    /// <summary>Always "numerator/denominator", the form ffmpeg options accept.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Numerator}/{Denominator}");

    private static long Validated(long numerator, long denominator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numerator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(denominator);
        return numerator;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
