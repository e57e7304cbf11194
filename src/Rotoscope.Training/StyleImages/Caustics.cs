using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Light through a rippled surface on a pool floor: the edges of wobbly cells, two sizes, over deep teal.</summary>
internal static class Caustics
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        var large = new Cells(random, canvas.Width, 58 * s);
        var small = new Cells(random, canvas.Width, 31 * s);
        var (deep, shallow, light) = (Colour.Hex("#05364d"), Colour.Hex("#168a9c"), Colour.Hex("#d8fbff"));
        canvas.Shade((x, y, _) =>
        {
            var (wx, wy) = (x + (14 * s * noise.At(x / (90 * s), y / (90 * s))), y + (14 * s * noise.At((x / (90 * s)) + 9, y / (90 * s))));
            var lines = (0.9 * Math.Exp(-large.Gap(wx, wy) / (2.2 * s))) + (0.45 * Math.Exp(-small.Gap(wx + 7, wy - 3) / (1.6 * s)));
            var water = Colour.Lerp(deep, shallow, Smoothstep(-0.6, 0.8, noise.Fractal(x / (260 * s), y / (260 * s), 3)));
            return Colour.Lerp(water, light, Math.Min(1, lines));
        });
    }

    // Jittered points on a grid that wraps around; Gap is F2 - F1, the distance to the second-nearest point minus the
    // nearest: zero on the cell edges.
    private sealed class Cells
    {
        private readonly (double X, double Y)[,] points;
        private readonly double size;
        private readonly int count;

        public Cells(Random random, int side, double size)
        {
            this.size = size;
            count = (int)Math.Ceiling(side / size) + 1;
            points = new (double, double)[count, count];
            for (var j = 0; j < count; j++)
            {
                for (var i = 0; i < count; i++)
                {
                    points[i, j] = (random.Between(0.1, 0.9), random.Between(0.1, 0.9));
                }
            }
        }

        public double Gap(double x, double y)
        {
            var (cx, cy) = ((int)Math.Floor(x / size), (int)Math.Floor(y / size));
            var (f1, f2) = (double.MaxValue, double.MaxValue);
            for (var j = cy - 1; j <= cy + 1; j++)
            {
                for (var i = cx - 1; i <= cx + 1; i++)
                {
                    var p = points[((i % count) + count) % count, ((j % count) + count) % count];
                    var (dx, dy) = (((i + p.X) * size) - x, ((j + p.Y) * size) - y);
                    var d = Math.Sqrt((dx * dx) + (dy * dy));
                    (f1, f2) = d < f1 ? (d, f1) : (f1, Math.Min(f2, d));
                }
            }

            return f2 - f1;
        }
    }
}
