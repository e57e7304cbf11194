namespace Rotoscope.Training.StyleImages;

/// <summary>Op art after Bridget Riley: hard-edged stripes bent into waves and swollen by a bulge.</summary>
internal static class OpArt
{
    private static readonly Colour[] Stripes = [.. new[] { "#111111", "#f4f1e8", "#d6336c", "#f4f1e8", "#111111", "#f4f1e8", "#1aa6a6", "#f4f1e8" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var (w, h) = ((double)canvas.Width, (double)canvas.Height);
        var (bx, by) = (random.Between(0.3, 0.7), random.Between(0.3, 0.7));
        double Phase(double x, double y)
        {
            var (u, v) = (x / w, y / h);
            var r2 = ((u - bx) * (u - bx)) + ((v - by) * (v - by));
            var bulge = 0.12 * Math.Exp(-r2 / 0.05);
            return ((u + (bulge * (u - bx) / Math.Sqrt(r2 + 1e-4))) * 36) + (2.2 * Math.Sin((v * 9) + (u * 4)));
        }

        // Four samples a pixel keep the edges hard but not jagged.
        canvas.Shade((x, y, _) =>
        {
            var sum = Colour.Black;
            foreach (var (dx, dy) in new[] { (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75) })
            {
                var stripe = (int)Math.Floor(Phase(x + dx, y + dy));
                sum += Stripes[((stripe % Stripes.Length) + Stripes.Length) % Stripes.Length];
            }

            return sum * 0.25;
        });
    }
}
