namespace Rotoscope.Training.StyleImages;

/// <summary>Handmade paper: mottled cream pulp with fine grain and short curled fibres, light, dark and a few coloured.</summary>
internal static class Paper
{
    private static readonly Colour[] Plain = [.. new[] { "#d3c5a8", "#fffdf6", "#c4b08c" }.Select(Colour.Hex)];
    private static readonly Colour[] Dyed = [.. new[] { "#b89a76", "#9fb2c8", "#c98f8f" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        canvas.Shade((x, y, _) => Colour.Hex("#efe7d4") * (1 + (0.035 * noise.Fractal(x / (90 * s), y / (90 * s), 4)) + (0.03 * noise.At(x / 1.3, y / 1.3))));
        for (var i = 0; i < 2600 * s * s; i++)
        {
            var (x, y, angle) = (random.NextDouble() * canvas.Width, random.NextDouble() * canvas.Height, random.NextDouble() * Math.Tau);
            var colour = random.Pick(random.NextDouble() < 0.05 ? Dyed : Plain);
            var (width, alpha, curl) = (random.Between(0.6, 1.5) * s, random.Between(0.35, 0.8), random.Between(-0.15, 0.15));
            var steps = random.Next(4, 14);
            for (var step = 0; step < steps; step++)
            {
                var (nx, ny) = (x + (3 * s * Math.Cos(angle)), y + (3 * s * Math.Sin(angle)));
                canvas.Stroke(x, y, nx, ny, width, colour, alpha);
                (x, y, angle) = (nx, ny, angle + curl);
            }
        }
    }
}
