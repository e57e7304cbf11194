using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Wind ripples in sand: long gentle slopes lit by a low sun, short steep shaded ones, and loose grains.</summary>
internal static class Dunes
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        var (lit, sand, shade, deep) = (Colour.Hex("#f3cf94"), Colour.Hex("#d9a35f"), Colour.Hex("#a8683a"), Colour.Hex("#6e3b1e"));
        canvas.Shade((x, y, _) =>
        {
            var (u, v) = (x / s, y / s);
            var phase = (((v * 0.95) + (u * 0.3)) / 13) + (2.8 * noise.Fractal(u / 170, v / 170, 3));
            var t = Fract(phase);

            // Stoss side (t below 0.72) faces the sun, brighter towards the crest; the lee side is in shade.
            var colour = t < 0.72 ? Colour.Lerp(sand, lit, Smoothstep(0.1, 0.72, t)) : Colour.Lerp(shade, sand, Smoothstep(0.72, 1, t));
            var dune = noise.Fractal((u / 300) + 4, v / 300, 3);
            colour = Colour.Lerp(colour, deep, Math.Max(0, -dune) * 0.8);
            return colour * (0.93 + (0.14 * random.NextDouble()));
        });
        canvas.Blur(0.6);
    }
}
