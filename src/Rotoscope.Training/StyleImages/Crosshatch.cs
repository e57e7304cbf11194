using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>Pen and ink: layers of parallel hatching, each laid where the tone is darker than its threshold.</summary>
internal static class Crosshatch
{
    private static readonly (double Angle, double Threshold)[] Layers = [(0.8, 0.18), (-0.8, 0.4), (0.05, 0.6), (1.5, 0.8)];

    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var scale = canvas.Width / 512.0;
        var spheres = Enumerable.Range(0, 5).Select(_ => (X: random.Between(60, 450) * scale, Y: random.Between(60, 450) * scale, R: random.Between(45, 110) * scale)).ToArray();
        var (paper, ink) = (Colour.Hex("#f4ead5"), Colour.Hex("#2a1d14"));
        canvas.Shade((x, y, _) =>
        {
            var tone = 0.45 + (0.45 * noise.Fractal(x / (160 * scale), y / (160 * scale), 3));
            var outline = 0.0;
            foreach (var s in spheres)
            {
                var (dx, dy) = ((x - s.X) / s.R, (y - s.Y) / s.R);
                var r = Math.Sqrt((dx * dx) + (dy * dy));
                if (r < 1)
                {
                    // Lit from the upper left: bright on that side, dark at the far edge.
                    var lit = Math.Clamp((-0.6 * dx) - (0.6 * dy) + (0.5 * Math.Sqrt(1 - (r * r))), 0, 1);
                    tone = 0.95 - (0.85 * lit);
                }

                outline = Math.Max(outline, 1 - Smoothstep(0.6, 1.6, Math.Abs(r - 1) * s.R));
            }

            var amount = outline;
            foreach (var (angle, threshold) in Layers)
            {
                if (tone > threshold)
                {
                    var u = (x * Math.Cos(angle)) + (y * Math.Sin(angle)) + (2.5 * noise.At(x / 37.0, y / 41.0));
                    var d = Math.Abs(Fract(u / (8 * scale)) - 0.5) * 8 * scale;
                    var half = 0.5 + Math.Min(0.9, 2.5 * (tone - threshold));
                    amount = Math.Max(amount, 1 - Smoothstep(half - 0.5, half + 0.5, d));
                }
            }

            var grain = 1 - (0.04 * Math.Abs(noise.At(x / 2.3, y / 2.3)));
            return Colour.Lerp(paper * grain, ink, 0.92 * amount);
        });
    }
}
