namespace Rotoscope.Training.StyleImages;

/// <summary>The shaping functions shaders use: smooth steps, fractional parts, random picks.</summary>
internal static class Shaping
{
    /// <summary>0 below <paramref name="edge0"/>, 1 above <paramref name="edge1"/>, a smooth S between.</summary>
    public static double Smoothstep(double edge0, double edge1, double x)
    {
        var t = Math.Clamp((x - edge0) / (edge1 - edge0), 0, 1);
        return t * t * (3 - (2 * t));
    }

    /// <summary>x minus its floor, 0..1.</summary>
    public static double Fract(double x) => x - Math.Floor(x);

    /// <summary>A uniform number in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static double Between(this Random random, double min, double max) => min + (random.NextDouble() * (max - min));

    /// <summary>One of <paramref name="items"/>, uniformly.</summary>
    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
