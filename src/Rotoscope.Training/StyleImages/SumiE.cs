namespace Rotoscope.Training.StyleImages;

/// <summary>
/// Sumi-e: bamboo stalks and leaves laid with a bristle brush that runs dry along each stroke, over soft grey washes,
/// on rice paper, with a red seal.
/// </summary>
internal static class SumiE
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        canvas.Shade((_, _, _) => Colour.Hex("#f1ead8"));

        // Wet washes first: broad grey strokes, blurred as the paper drinks them; then the paper's grain over all.
        for (var i = 0; i < 6; i++)
        {
            var (x, y) = (random.Between(-50, 450) * s, random.Between(60, 500) * s);
            Brush(canvas, random, noise, (x, y), (x + (random.Between(150, 320) * s), y + (random.Between(-80, 80) * s)), 80 * s, 0.7, Colour.Hex("#7d7a74"), 0.3);
        }

        canvas.Blur(10 * s);
        canvas.Shade((x, y, c) => c * (1 + (0.03 * noise.Fractal(x / (60 * s), y / (60 * s), 3)) + (0.025 * noise.At(x / 1.5, y / 1.5))));

        // Stalks: straight segments with a gap at each node.
        var stalks = Enumerable.Range(0, 3).Select(_ => (X: random.Between(50, 460) * s, Lean: random.Between(-0.1, 0.1))).ToArray();
        foreach (var (x0, lean) in stalks)
        {
            var (x, y) = (x0, 540 * s);
            while (y > -30 * s)
            {
                var segment = random.Between(70, 120) * s;
                Brush(canvas, random, noise, (x, y), (x + (lean * segment), y - segment + (5 * s)), 17 * s, 0.15, Colour.Hex("#33312e"), 0.9);
                (x, y) = (x + (lean * segment), y - segment);
            }
        }

        // Leaves in fans hanging from points on the stalks: pressed down at the base, a dry pointed tip.
        for (var cluster = 0; cluster < 8; cluster++)
        {
            var (x0, lean) = random.Pick(stalks);
            var y = random.Between(20, 420) * s;
            var x = x0 + (lean * (540 * s - y));
            var side = random.NextDouble() < 0.5 ? -1 : 1;
            for (var leaf = 0; leaf < random.Next(2, 5); leaf++)
            {
                var angle = (Math.PI / 2) - (side * random.Between(0.5, 1.4));
                var length = random.Between(70, 140) * s;
                Brush(canvas, random, noise, (x, y), (x + (length * Math.Cos(angle)), y + (length * Math.Sin(angle))), random.Between(16, 24) * s, 1, Colour.Hex("#151514"), 0.88);
            }
        }

        var (sx, sy, seal) = (random.Between(410, 450) * s, random.Between(440, 465) * s, 30 * s);
        canvas.ConvexPolygon([(sx, sy), (sx + seal, sy), (sx + seal, sy + seal), (sx, sy + seal)], Colour.Hex("#b8322a"), 0.9,
            (x, y, _) => noise.At(x / 2.0, y / 2.0) > 0.3 ? Colour.Hex("#e8d9c8") : Colour.Hex("#b8322a"));
    }

    // A stroke from `from` to `to`, slightly bowed: a row of bristles stamped along it. The stroke swells and narrows
    // (`leafy` 1: a leaf's pointed tip; 0: even), and each bristle drops out as its ink runs dry, which leaves the
    // streaks of a dry brush towards the end.
    private static void Brush(Canvas canvas, Random random, Noise noise, (double X, double Y) from, (double X, double Y) to, double width, double leafy, Colour ink, double alpha)
    {
        const int Bristles = 18;
        var (dx, dy) = (to.X - from.X, to.Y - from.Y);
        var length = Math.Sqrt((dx * dx) + (dy * dy));
        var (nx, ny) = (-dy / length, dx / length);
        var bow = random.Between(-0.12, 0.12) * length;
        var seed = random.Between(0, 100);
        var supply = Enumerable.Range(0, Bristles).Select(_ => random.Between(0.75, 1.6)).ToArray();
        for (var k = 0; k <= (int)length; k++)
        {
            var t = k / length;
            var shape = (1 - leafy) + (leafy * Math.Pow(Math.Sin(Math.PI * Math.Min(1, 0.1 + (t * 0.95))), 0.8) * Math.Min(1, 4 * (1 - t) + 0.1));
            var (x, y) = (from.X + (t * dx) + (bow * 4 * t * (1 - t) * nx), from.Y + (t * dy) + (bow * 4 * t * (1 - t) * ny));
            for (var b = 0; b < Bristles; b++)
            {
                var left = supply[b] - t - (0.35 * noise.At(seed + (b * 1.7), k / 9.0));
                if (left > 0)
                {
                    var offset = (((b + 0.5) / Bristles) - 0.5) * width * shape;
                    canvas.Disc(x + (offset * nx), y + (offset * ny), Math.Max(0.6, width * shape / Bristles * 0.9), ink, alpha * Math.Min(1, left * 4));
                }
            }
        }
    }
}
