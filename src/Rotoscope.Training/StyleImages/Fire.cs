namespace Rotoscope.Training.StyleImages;

/// <summary>Flames: turbulence stretched upwards and bent by a warp, through a black-red-orange-yellow-white ramp.</summary>
internal static class Fire
{
    private static readonly Colour[] Heat = [.. new[] { "#000000", "#2a0300", "#7a0d00", "#c8300a", "#f2731b", "#fbb53b", "#fde98a", "#fffdf0" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var (w, h) = ((double)canvas.Width, (double)canvas.Height);
        canvas.Shade((x, y, _) =>
        {
            var (u, v) = (x / w, y / h);
            var warp = noise.Fractal(u * 3, v * 2, 3);
            var flicker = noise.Turbulence((u * 7) + (0.6 * warp), (v * 2.6) + (0.9 * warp), 5);
            var heat = (1.2 * Math.Pow(v, 1.2)) + 0.15 - (1.5 * flicker) + (0.2 * Math.Sin(u * 19));
            return Colour.Gradient(Heat, heat);
        });

        // Sparks drifting above the flames.
        for (var i = 0; i < 160; i++)
        {
            var (x, y) = (random.NextDouble() * w, random.NextDouble() * h * 0.7);
            canvas.Disc(x, y, random.Between(0.8, 2.0) * w / 512, Colour.Hex(random.NextDouble() < 0.5 ? "#fde98a" : "#f2731b"), random.Between(0.5, 1));
        }
    }
}
