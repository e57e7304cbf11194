namespace Rotoscope.Training.StyleImages;

/// <summary>Neon tubes on black: bright cores with a wide coloured glow, flowing lines and a few outlined shapes.</summary>
internal static class Neon
{
    private static readonly Colour[] Tubes = [.. new[] { "#ff2bd6", "#2be4ff", "#7dff3a", "#ffb02b", "#8a5cff", "#ff3b4e" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var s = canvas.Width / 512.0;
        var tubes = new Canvas(canvas.Width, canvas.Height, Colour.Black);
        void Path(IReadOnlyList<(double X, double Y)> points, Colour colour)
        {
            for (var i = 1; i < points.Count; i++)
            {
                tubes.Stroke(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, 3.2 * s, colour);
            }
        }

        for (var i = 0; i < 12; i++)
        {
            var (y0, amplitude, wave, phase) = (random.Between(0, 512) * s, random.Between(20, 90) * s, random.Between(60, 200) * s, random.Between(0, Math.Tau));
            var tilt = random.Between(-0.5, 0.5);
            var points = Enumerable.Range(0, 130).Select(k => k * 4.0 * s).Select(x => (x, y0 + (tilt * x) + (amplitude * Math.Sin((x / wave) + phase)))).ToList();
            Path(points, random.Pick(Tubes));
        }

        for (var i = 0; i < 7; i++)
        {
            var (cx, cy, r, sides) = (random.Between(50, 460) * s, random.Between(50, 460) * s, random.Between(25, 70) * s, random.Pick([3, 4, 6, 60]));
            var turn = random.NextDouble();
            Path([.. Enumerable.Range(0, sides + 1).Select(k => (cx + (r * Math.Cos(Math.Tau * (k + turn) / sides)), cy + (r * Math.Sin(Math.Tau * (k + turn) / sides))))], random.Pick(Tubes));
        }

        var wide = tubes.Clone();
        wide.Blur(14 * s);
        var near = tubes.Clone();
        near.Blur(4 * s);
        canvas.Shade((_, _, _) => Colour.Hex("#07050d"));
        canvas.Add(wide, 2.2);
        canvas.Add(near, 1.2);
        canvas.Add(tubes, 0.9);
    }
}
