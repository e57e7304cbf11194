namespace Rotoscope.Training.StyleImages;

/// <summary>Seeded 2-D gradient (Perlin) noise, about -1..1, with fractal sums of octaves.</summary>
public sealed class Noise
{
    private readonly int[] permutation = new int[512];
    private readonly (double X, double Y)[] gradients = new (double, double)[256];

    public Noise(int seed)
    {
        var random = new Random(seed);
        var order = Enumerable.Range(0, 256).ToArray();
        random.Shuffle(order);
        for (var i = 0; i < 512; i++)
        {
            permutation[i] = order[i & 255];
        }

        for (var i = 0; i < 256; i++)
        {
            var angle = random.NextDouble() * 2 * Math.PI;
            gradients[i] = (Math.Cos(angle), Math.Sin(angle));
        }
    }

    /// <summary>Smooth noise with features about one unit apart.</summary>
    public double At(double x, double y)
    {
        var (fx, fy) = (Math.Floor(x), Math.Floor(y));
        var (ix, iy) = ((int)fx & 255, (int)fy & 255);
        var (dx, dy) = (x - fx, y - fy);
        var (u, v) = (Fade(dx), Fade(dy));
        var a = Dot(ix, iy, dx, dy);
        var b = Dot(ix + 1, iy, dx - 1, dy);
        var c = Dot(ix, iy + 1, dx, dy - 1);
        var d = Dot(ix + 1, iy + 1, dx - 1, dy - 1);
        return 1.4 * (a + (u * (b - a)) + (v * (c - a + (u * (d - c - b + a)))));
    }

    /// <summary>Octaves of <see cref="At"/>, each twice the frequency and half the amplitude of the one before.</summary>
    public double Fractal(double x, double y, int octaves)
    {
        var (sum, amplitude, total) = (0.0, 1.0, 0.0);
        for (var i = 0; i < octaves; i++)
        {
            sum += amplitude * At(x, y);
            total += amplitude;
            (x, y, amplitude) = ((x * 2) + 17.3, (y * 2) - 9.1, amplitude / 2);
        }

        return sum / total;
    }

    /// <summary>Octaves of |noise|: billowy, with sharp creases (fire, marble veins); about 0..1.</summary>
    public double Turbulence(double x, double y, int octaves)
    {
        var (sum, amplitude, total) = (0.0, 1.0, 0.0);
        for (var i = 0; i < octaves; i++)
        {
            sum += amplitude * Math.Abs(At(x, y));
            total += amplitude;
            (x, y, amplitude) = ((x * 2) + 5.7, (y * 2) + 11.9, amplitude / 2);
        }

        return sum / total;
    }

    private static double Fade(double t) => t * t * t * ((t * ((t * 6) - 15)) + 10);

    private double Dot(int ix, int iy, double dx, double dy)
    {
        var g = gradients[permutation[permutation[ix & 255] + (iy & 255)]];
        return (g.X * dx) + (g.Y * dy);
    }
}
