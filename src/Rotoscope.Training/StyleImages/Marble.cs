namespace Rotoscope.Training.StyleImages;

/// <summary>Polished white marble: turbulent bands of grey veins and thin golden ones in a softly clouded stone.</summary>
internal static class Marble
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        var (stone, cloud, vein, gold) = (Colour.Hex("#f5f2ec"), Colour.Hex("#d9d4cb"), Colour.Hex("#5f5a57"), Colour.Hex("#b48a4a"));
        canvas.Shade((x, y, _) =>
        {
            var (u, v) = (x / s, y / s);
            var grey = Math.Sin(((u * 0.6) + (v * 0.8)) / 45 + (9 * noise.Turbulence(u / 150, v / 150, 6)));
            var thin = Math.Sin((((v * 1.0) - (u * 0.35)) / 27) + (8 * noise.Turbulence((u / 120) + 3, v / 120, 4)));
            var colour = Colour.Lerp(stone, cloud, 0.5 + (0.6 * noise.Fractal(u / 180, v / 180, 4)));
            var g = 1 - Math.Abs(grey);
            colour = Colour.Lerp(colour, vein, Math.Min(1, (0.85 * Math.Pow(g, 8)) + (0.22 * Math.Pow(g, 2))));
            return Colour.Lerp(colour, gold, 0.85 * Math.Pow(1 - Math.Abs(thin), 14));
        });
    }
}
