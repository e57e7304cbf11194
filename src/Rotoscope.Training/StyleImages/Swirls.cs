namespace Rotoscope.Training.StyleImages;

/// <summary>A night sky after Van Gogh: thousands of short strokes following rolling wind and a few bright eddies.</summary>
internal static class Swirls
{
    private static readonly Colour[] Blues = [.. new[] { "#1d3f7a", "#284f9a", "#3b6fb6", "#6f9fd8", "#9cc2e8", "#2f5f8f", "#3f8c8c" }.Select(Colour.Hex)];
    private static readonly Colour[] Lights = [.. new[] { "#f5d76e", "#fff3b0", "#f2c14e", "#e8f0f8", "#cfe3a0" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        var eddies = Enumerable.Range(0, 5).Select(_ => (X: random.Between(40, 470) * s, Y: random.Between(40, 470) * s, R: random.Between(35, 80) * s, Turn: random.NextDouble() < 0.5 ? -1 : 1)).ToArray();

        // The wind: a rolling flow to the right, bent around each eddy, which also draws strokes slightly inwards.
        (double X, double Y) Flow(double x, double y)
        {
            var angle = 0.9 * Math.Sin((y / (70 * s)) + (2 * noise.Fractal(x / (220 * s), y / (220 * s), 2)));
            var (fx, fy) = (Math.Cos(angle), Math.Sin(angle));
            foreach (var e in eddies)
            {
                var (dx, dy) = (x - e.X, y - e.Y);
                var r = Math.Sqrt((dx * dx) + (dy * dy)) + 1e-6;
                var pull = 3 * Math.Exp(-(r * r) / (4 * e.R * e.R));
                fx += pull * ((-e.Turn * dy / r) - (0.25 * dx / r));
                fy += pull * ((e.Turn * dx / r) - (0.25 * dy / r));
            }

            var length = Math.Sqrt((fx * fx) + (fy * fy)) + 1e-9;
            return (fx / length, fy / length);
        }

        canvas.Shade((_, _, _) => Colour.Hex("#142a55"));
        for (var i = 0; i < 11000 * s * s; i++)
        {
            var (x, y) = (random.NextDouble() * canvas.Width, random.NextDouble() * canvas.Height);
            var nearest = eddies.Min(e => Math.Sqrt(((x - e.X) * (x - e.X)) + ((y - e.Y) * (y - e.Y))) / e.R);
            var colour = nearest < 0.55 || (nearest < 1.1 && random.NextDouble() < 0.35) ? random.Pick(Lights) : random.Pick(Blues);
            colour *= random.Between(0.85, 1.1);
            var width = random.Between(3, 5.5) * s;
            for (var step = 0; step < 10; step++)
            {
                var (fx, fy) = Flow(x, y);
                var (nx, ny) = (x + (2.5 * s * fx), y + (2.5 * s * fy));
                canvas.Stroke(x, y, nx, ny, width, colour);
                (x, y) = (nx, ny);
            }
        }
    }
}
