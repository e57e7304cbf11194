namespace Rotoscope.Training.StyleImages;

/// <summary>Thick paint laid with a palette knife: chunky daubs of vivid colour along a flow, streaked, with a lit ridge and a shaded edge.</summary>
internal static class Impasto
{
    private static readonly Colour[] Palette = [.. new[] { "#2b1b5a", "#7b2d8b", "#1f6f8b", "#2fa39a", "#ffe66d", "#f2a541", "#f25c2a", "#e63946" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        canvas.Shade((_, _, _) => Colour.Hex("#1b1430"));
        for (var i = 0; i < 2600 * s * s; i++)
        {
            var (cx, cy) = (random.Between(-10, 522) * s, random.Between(-10, 522) * s);
            var angle = (2.4 * noise.Fractal(cx / (200 * s), cy / (200 * s), 2)) + random.Between(-0.3, 0.3);
            var (length, width) = (random.Between(9, 17) * s, random.Between(6, 11) * s);
            var (ax, ay, nx, ny) = (Math.Cos(angle), Math.Sin(angle), -Math.Sin(angle), Math.Cos(angle));

            // Neighbouring daubs share a colour family: a slow field picks the palette entry, give or take one.
            var place = Math.Clamp(0.5 + (0.9 * noise.Fractal((cx / (130 * s)) + 20, cy / (130 * s), 3)), 0, 0.999);
            var index = Math.Clamp((int)(place * Palette.Length) + random.Next(-1, 2), 0, Palette.Length - 1);
            var (main, streak) = (Palette[index] * random.Between(0.9, 1.1), random.Pick(Palette));
            var skew = random.Between(-0.3, 0.3);
            var corners = new[] { (-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0) }
                .Select(c => (c.Item1 + (skew * c.Item2), c.Item2))
                .Select(c => (cx + (c.Item1 * length * ax) + (c.Item2 * width * nx), cy + (c.Item1 * length * ay) + (c.Item2 * width * ny)))
                .ToList();
            canvas.ConvexPolygon(corners, main, 0.97, (x, y, depth) =>
            {
                // Streaks along the knife's path, a ridge of paint lit on one side and a shadow on the other.
                var (along, across) = ((((x - cx) * ax) + ((y - cy) * ay)) / length, (((x - cx) * nx) + ((y - cy) * ny)) / width);
                var colour = Colour.Lerp(main, streak, 0.5 * Math.Max(0, noise.At((across * 5) + (i * 0.37), along * 0.6)));
                colour *= 0.9 + (0.18 * noise.At(across * 11, (along * 1.5) + i));
                var edge = Math.Max(0, 1 - (depth / (1.8 * s)));
                return colour * (across < 0 ? 1 + (0.4 * edge) : 1 - (0.35 * edge));
            });
        }
    }
}
