using static Rotoscope.Training.StyleImages.Shaping;

namespace Rotoscope.Training.StyleImages;

/// <summary>
/// A two-block woodcut: grooves carved along rolling waves and around a sun, wider where the picture is light,
/// printed in black, with a vermilion block over part of it.
/// </summary>
internal static class Woodcut
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var s = canvas.Width / 512.0;
        var (sunX, sunY, sunR) = (random.Between(300, 420) * s, random.Between(90, 150) * s, 60 * s);
        var (paper, black, red) = (Colour.Hex("#efe3c8"), Colour.Hex("#17130f"), Colour.Hex("#c23b22"));
        canvas.Shade((x, y, _) =>
        {
            var sun = Math.Sqrt(((x - sunX) * (x - sunX)) + ((y - sunY) * (y - sunY)));
            var waves = (y / (10 * s)) + (2.2 * noise.Fractal(x / (150 * s), y / (110 * s), 3)) + (0.8 * Math.Sin(x / (35 * s)));
            var rings = sun / (9 * s);
            var nearSun = 1 - Smoothstep(sunR * 1.2, sunR * 2.2, sun);
            var phase = Fract((waves * (1 - nearSun)) + (rings * nearSun));
            var light = Math.Clamp(0.5 + (0.6 * noise.Fractal((x / (90 * s)) + 7, y / (90 * s), 2)) + (0.5 * (1 - Smoothstep(0, sunR, sun))), 0, 1);
            var rough = 0.08 * noise.At(x / 3.1, y / 3.1);
            var carved = Math.Abs(phase - 0.5) < (0.42 * light) + rough;
            if (carved || sun < sunR * 0.9)
            {
                return paper * (1 - (0.05 * Math.Abs(noise.At(x / 5.0, y / 5.0))));
            }

            var redBlock = noise.Fractal((x / (200 * s)) - 3, (y / (200 * s)) + 4, 2) > 0.18 || Math.Abs(sun - sunR) < 10 * s;
            return redBlock ? red : black;
        });
    }
}
