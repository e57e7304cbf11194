namespace Rotoscope.Training.StyleImages;

/// <summary>A Roman floor mosaic: rows of slightly irregular square stones set in grout, a star-rayed medallion in the middle.</summary>
internal static class Tesserae
{
    private static readonly Colour[] Rings = [.. new[] { "#b5532d", "#d49a3a", "#2a2522", "#e9dcc0", "#4d6a7d", "#d49a3a" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var tile = canvas.Width / 32.0;
        var (cream, slate, grout) = (Colour.Hex("#e9dcc0"), Colour.Hex("#4d6a7d"), Colour.Hex("#9c9282"));
        canvas.Shade((x, y, _) => grout * (0.9 + (0.15 * noise.At(x / 3.0, y / 3.0))));
        for (var row = 0; row < 32; row++)
        {
            for (var column = 0; column < 32; column++)
            {
                var (cx, cy) = ((column + 0.5) * tile, (row + 0.5) * tile);
                var (u, v) = ((cx / canvas.Width) - 0.5, (cy / canvas.Height) - 0.5);
                var r = Math.Sqrt((u * u) + (v * v));
                var rays = r + (0.025 * Math.Sin(8 * Math.Atan2(v, u)));
                var colour = r < 0.42
                    ? Rings[(int)(rays / 0.07) % Rings.Length]
                    : (Math.Abs(u) + Math.Abs(v)) % 0.14 < 0.035 ? slate : cream;
                colour *= random.Between(0.88, 1.08);
                var half = tile * 0.41;
                var turn = random.Between(-0.08, 0.08);
                var corners = Enumerable.Range(0, 4).Select(k => (Math.PI / 4) + (k * Math.PI / 2) + turn)
                    .Select(a => (cx + (half * Math.Sqrt(2) * Math.Cos(a)) + random.Between(-0.8, 0.8), cy + (half * Math.Sqrt(2) * Math.Sin(a)) + random.Between(-0.8, 0.8)))
                    .ToList();

                // A worn bevel: light on the upper left, shadow on the lower right.
                canvas.ConvexPolygon(corners, colour, 1, (x, y, depth) =>
                    colour * (1 + (0.12 * Math.Max(0, 1 - (depth / 2.5)) * Math.Sign((cx - x) + (cy - y))) + (0.05 * noise.At(x / 2.0, y / 2.0))));
            }
        }
    }
}
