using System.Globalization;

namespace Rotoscope.Training.StyleImages;

/// <summary>A linear mix of red, green and blue, 0..1 each (values outside are allowed while mixing, clamped when encoded).</summary>
public readonly record struct Colour(float R, float G, float B)
{
    public static Colour Black { get; } = new(0, 0, 0);

    public static Colour White { get; } = new(1, 1, 1);

    /// <summary>A colour written as in CSS, <c>#rrggbb</c>.</summary>
    public static Colour Hex(string hex)
    {
        ArgumentException.ThrowIfNullOrEmpty(hex);
        var value = int.Parse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new((value >> 16) / 255f, ((value >> 8) & 0xff) / 255f, (value & 0xff) / 255f);
    }

    /// <summary>From <paramref name="a"/> (t = 0) to <paramref name="b"/> (t = 1).</summary>
    public static Colour Lerp(Colour a, Colour b, double t) => a + ((b - a) * t);

    /// <summary>A point on a gradient through evenly spaced <paramref name="stops"/>, t in 0..1 (clamped).</summary>
    public static Colour Gradient(ReadOnlySpan<Colour> stops, double t)
    {
        var x = Math.Clamp(t, 0, 1) * (stops.Length - 1);
        var i = Math.Min((int)x, stops.Length - 2);
        return Lerp(stops[i], stops[i + 1], x - i);
    }

    /// <summary>The Rec. 601 luma, 0..1.</summary>
    public float Luma => (0.299f * R) + (0.587f * G) + (0.114f * B);

    public static Colour operator +(Colour a, Colour b) => new(a.R + b.R, a.G + b.G, a.B + b.B);

    public static Colour operator -(Colour a, Colour b) => new(a.R - b.R, a.G - b.G, a.B - b.B);

    public static Colour operator *(Colour a, double k) => new((float)(a.R * k), (float)(a.G * k), (float)(a.B * k));

    /// <summary>Channel by channel, as light through two filters (or pigment on paper).</summary>
    public static Colour operator *(Colour a, Colour b) => new(a.R * b.R, a.G * b.G, a.B * b.B);
}
