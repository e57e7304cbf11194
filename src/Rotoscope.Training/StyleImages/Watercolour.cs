using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Transparent washes glazed over each other, pigment pooling at their ragged edges, on grainy paper.</summary>
internal static class Watercolour
{
    private static readonly Colour[] Pigments = [.. new[] { "#3f5fb0", "#3d9bd1", "#d65a7a", "#f08a3c", "#d9a441", "#6a9e3f", "#7c4f9e", "#b35a34", "#2e8b7a" }.Select(Colour.Hex)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        canvas.Shade((_, _, _) => Colour.Hex("#fbf8f0"));
        for (var i = 0; i < 34; i++)
        {
            var (cx, cy, radius) = (random.Between(-20, 530) * s, random.Between(-20, 530) * s, random.Between(35, 120) * s);
            var (pigment, strength, offset) = (random.Pick(Pigments), random.Between(0.35, 0.7), random.Between(0, 100));
            var flow = random.NextDouble() * Math.Tau;
            for (var y = Math.Max(0, (int)(cy - (1.6 * radius))); y < Math.Min(canvas.Height, cy + (1.6 * radius)); y++)
            {
                for (var x = Math.Max(0, (int)(cx - (1.6 * radius))); x < Math.Min(canvas.Width, cx + (1.6 * radius)); x++)
                {
                    var (dx, dy) = (x - cx, y - cy);
                    var r = Math.Sqrt((dx * dx) + (dy * dy));
                    var angle = Math.Atan2(dy, dx);
                    var edge = radius * (1 + (0.45 * noise.Fractal(offset + (1.3 * Math.Cos(angle)), offset + (1.3 * Math.Sin(angle)), 4)));
                    var d = r / edge;
                    if (d < 1.02)
                    {
                        var pooled = 0.6 + (0.7 * Smoothstep(0.75, 1.0, d));
                        var granulation = 0.75 + (0.5 * Math.Abs(noise.At(x / 2.7, y / 2.7)));
                        var settled = 0.55 + (0.45 * Smoothstep(-1, 1, ((dx * Math.Cos(flow)) + (dy * Math.Sin(flow))) / radius));
                        var alpha = strength * pooled * granulation * settled * (1 - Smoothstep(1.0, 1.02, d));
                        canvas[x, y] = canvas[x, y] * Colour.Lerp(Colour.White, pigment, alpha);
                    }
                }
            }
        }

        canvas.Blur(1.2);
        canvas.Shade((x, y, c) => c * (0.95 + (0.05 * noise.At(x / 1.7, y / 1.7))));
    }
}
