namespace Rotoscope.Training.StyleImages;

/// <summary>Seurat's way: a sunny landscape made only of small dots of pure colour laid side by side.</summary>
internal static class Pointillism
{
    private static readonly Colour[] Sky = [.. new[] { "#7fb3e6", "#a9d2f2", "#f6e7a1", "#f4bccb", "#fdfaf0", "#5d95d6" }.Select(Colour.Hex)];
    private static readonly Colour[] Hills = [.. new[] { "#5c7fb8", "#8a6fb0", "#6fa3a8", "#e8a86a", "#3f5f9c" }.Select(Colour.Hex)];
    private static readonly Colour[] Water = [.. new[] { "#2f6fc0", "#7fc8e8", "#fdfaf0", "#f2d13b", "#5a4fb0" }.Select(Colour.Hex)];
    private static readonly Colour[] Meadow = [.. new[] { "#3f8f35", "#8cc63f", "#f2d13b", "#e5742b", "#2f6b8f", "#1f5e2e" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var (w, h) = (canvas.Width, (double)canvas.Height);
        canvas.Shade((_, _, _) => Colour.Hex("#f1e6cc"));
        for (var i = 0; i < w * h / 8; i++)
        {
            var (x, y) = (random.NextDouble() * w, random.NextDouble() * h);
            var (u, v) = (x / w, y / h);
            var horizon = 0.36 + (0.06 * noise.Fractal(u * 3, 0.5, 3));
            var river = Math.Abs(v - 0.62 - (0.08 * Math.Sin((u * 5) + 1))) < 0.045 + (0.03 * u);
            var palette = v < horizon ? Sky : v < horizon + 0.12 ? Hills : river ? Water : Meadow;
            canvas.Disc(x, y, random.Between(2.0, 3.2) * w / 512, random.Pick(palette), 0.95);
        }
    }
}
