using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Warhol-style: one motif in four panels, each in its own flat bold colours, black outlines and Ben-Day dots.</summary>
internal static class PopArt
{
    private static readonly Colour[][] Palettes =
    [
        [.. new[] { "#ffd400", "#ff4f9a", "#20b6e8", "#e8362c" }.Select(Colour.Hex)],
        [.. new[] { "#2bd1c4", "#ffb000", "#f25ca2", "#3a3ad6" }.Select(Colour.Hex)],
        [.. new[] { "#ff6b1a", "#ffe14d", "#7ad13f", "#8e2fc2" }.Select(Colour.Hex)],
        [.. new[] { "#f7f2e0", "#e8362c", "#1f5fd6", "#ffd400" }.Select(Colour.Hex)],
    ];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var (w, h) = (canvas.Width, canvas.Height);
        var half = w / 2;
        var gutter = Math.Max(2, w / 64);

        // The motif: four flat bands of a smooth field, drawn once in panel coordinates.
        int Band(int x, int y)
        {
            var (u, v) = ((x % half) / (double)half, (y % half) / (double)half);
            var blob = noise.Fractal(u * 2.2, v * 2.2, 2) + (0.5 * (0.3 - Math.Sqrt(((u - 0.5) * (u - 0.5)) + ((v - 0.55) * (v - 0.55)))));
            return blob < -0.12 ? 0 : blob < 0.05 ? 1 : blob < 0.2 ? 2 : 3;
        }

        var bands = new int[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                bands[(y * w) + x] = Band(x, y);
            }
        }

        var reach = Math.Max(1, w / 200);
        var spacing = 9.0 * w / 512;
        canvas.Shade((x, y, _) =>
        {
            var (px, py) = (x % half, y % half);
            if (px < gutter / 2 || px >= half - (gutter / 2) || py < gutter / 2 || py >= half - (gutter / 2))
            {
                return Colour.Hex("#111111");
            }

            var band = bands[(y * w) + x];
            for (var dy = -reach; dy <= reach; dy++)
            {
                for (var dx = -reach; dx <= reach; dx++)
                {
                    var (nx, ny) = (Math.Clamp(x + dx, 0, w - 1), Math.Clamp(y + dy, 0, h - 1));
                    if (bands[(ny * w) + nx] != band)
                    {
                        return Colour.Hex("#111111");
                    }
                }
            }

            var palette = Palettes[((y / half) * 2) + (x / half)];
            var colour = palette[band];
            if (band == 1)
            {
                // Ben-Day dots on a 45° grid, in the panel's darkest colour.
                var (u, v) = ((x + y) / spacing / 1.414, (x - y) / spacing / 1.414);
                var (fu, fv) = (Fract(u) - 0.5, Fract(v) - 0.5);
                var d = Math.Sqrt((fu * fu) + (fv * fv)) * spacing;
                colour = Colour.Lerp(colour, palette[3], 1 - Smoothstep(2.4, 3.4, d));
            }

            return colour;
        });
    }
}
