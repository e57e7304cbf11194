using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Analytic cubism: overlapping faceted shards, each shaded across, with dark edges, in earth colours.</summary>
internal static class Cubist
{
    private static readonly Colour[] Earth = [.. new[] { "#c49a4a", "#6b4a2b", "#a0522d", "#6f8197", "#3f4a55", "#7a7a46", "#e3d5b5", "#8c6d46", "#b9a27c" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var s = canvas.Width / 512.0;
        var charcoal = Colour.Hex("#26211d");
        canvas.Shade((x, y, _) => Colour.Lerp(Colour.Hex("#8c7a5e"), Colour.Hex("#3f4a55"), y / (double)canvas.Height));
        for (var i = 0; i < 75; i++)
        {
            var size = (230 - (2.2 * i)) * s * random.Between(0.6, 1.1);
            var (cx, cy) = (random.Between(-20, 532) * s, random.Between(-20, 532) * s);
            // Corners on an ellipse, in angle order: always convex.
            var (sx, sy, start) = (size * random.Between(0.3, 1.2), size * random.Between(0.3, 1.2), random.NextDouble() * Math.Tau);
            var corners = Enumerable.Range(0, random.Next(3, 6))
                .Select(_ => start + random.Between(0, Math.Tau))
                .Order()
                .Select(a => (cx + (sx * Math.Cos(a)), cy + (sy * Math.Sin(a))))
                .ToList();
            var colour = random.Pick(Earth);
            var light = random.NextDouble() * Math.Tau;
            var (lx, ly) = (Math.Cos(light), Math.Sin(light));
            canvas.ConvexPolygon(corners, colour, 0.92, (x, y, depth) =>
            {
                var across = Math.Clamp(0.5 + ((((x - cx) * lx) + ((y - cy) * ly)) / (2 * size)), 0, 1);
                var shaded = colour * (0.6 + (0.7 * across));
                return Colour.Lerp(shaded, charcoal, 0.85 * (1 - Smoothstep(0.5, 2.5 * s, depth)));
            });
        }
    }
}
