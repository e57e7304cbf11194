using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Rotoscope.Training.StyleImages;

/// <summary>
/// An RGB picture the style-image generators paint on: antialiased discs, strokes and convex polygons, per-pixel
/// shading and blur, in floats; encoded as JPEG at the end.
/// </summary>
public sealed class Canvas
{
    private readonly Colour[] pixels;

    public Canvas(int width, int height, Colour background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        (Width, Height) = (width, height);
        pixels = new Colour[width * height];
        Array.Fill(pixels, background);
    }

    public int Width { get; }

    public int Height { get; }

    public Colour this[int x, int y]
    {
        get => pixels[(y * Width) + x];
        set => pixels[(y * Width) + x] = value;
    }

    /// <summary>A copy to paint on separately (a glow layer, say).</summary>
    public Canvas Clone()
    {
        var copy = new Canvas(Width, Height, Colour.Black);
        pixels.CopyTo(copy.pixels, 0);
        return copy;
    }

    /// <summary>Adds <paramref name="weight"/> times <paramref name="other"/> (the same size) to every pixel, as light adds.</summary>
    public void Add(Canvas other, double weight)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentOutOfRangeException.ThrowIfNotEqual(other.pixels.Length, pixels.Length);
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] += other.pixels[i] * weight;
        }
    }

    /// <summary>Sets every pixel to what <paramref name="shade"/> makes of its position and current colour.</summary>
    public void Shade(Func<int, int, Colour, Colour> shade)
    {
        ArgumentNullException.ThrowIfNull(shade);
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                pixels[(y * Width) + x] = shade(x, y, pixels[(y * Width) + x]);
            }
        }
    }

    /// <summary>Lays <paramref name="colour"/> over pixel (x, y) with opacity <paramref name="alpha"/>; outside is ignored.</summary>
    public void Blend(int x, int y, Colour colour, double alpha)
    {
        if ((uint)x < (uint)Width && (uint)y < (uint)Height && alpha > 0)
        {
            ref var pixel = ref pixels[(y * Width) + x];
            pixel = Colour.Lerp(pixel, colour, Math.Min(alpha, 1));
        }
    }

    /// <summary>A filled disc with a one-pixel soft edge.</summary>
    public void Disc(double cx, double cy, double radius, Colour colour, double alpha = 1)
    {
        Cover(cx - radius, cy - radius, cx + radius, cy + radius, colour, alpha, (x, y) => radius - Math.Sqrt(((x - cx) * (x - cx)) + ((y - cy) * (y - cy))));
    }

    /// <summary>A straight stroke of <paramref name="width"/> pixels with round ends.</summary>
    public void Stroke(double x0, double y0, double x1, double y1, double width, Colour colour, double alpha = 1)
    {
        var half = width / 2;
        var (dx, dy) = (x1 - x0, y1 - y0);
        var length2 = Math.Max((dx * dx) + (dy * dy), 1e-9);
        Cover(Math.Min(x0, x1) - half, Math.Min(y0, y1) - half, Math.Max(x0, x1) + half, Math.Max(y0, y1) + half, colour, alpha, (x, y) =>
        {
            var t = Math.Clamp((((x - x0) * dx) + ((y - y0) * dy)) / length2, 0, 1);
            var (px, py) = (x - x0 - (t * dx), y - y0 - (t * dy));
            return half - Math.Sqrt((px * px) + (py * py));
        });
    }

    /// <summary>
    /// A filled convex polygon (corners in either winding) with a soft edge; <paramref name="shade"/>, when given,
    /// colours each pixel from its position and its distance inside the edge.
    /// </summary>
    public void ConvexPolygon(IReadOnlyList<(double X, double Y)> corners, Colour colour, double alpha = 1, Func<double, double, double, Colour>? shade = null)
    {
        ArgumentNullException.ThrowIfNull(corners);
        ArgumentOutOfRangeException.ThrowIfLessThan(corners.Count, 3);
        var area = 0.0;
        for (var i = 0; i < corners.Count; i++)
        {
            var (a, b) = (corners[i], corners[(i + 1) % corners.Count]);
            area += (a.X * b.Y) - (b.X * a.Y);
        }

        var sign = area >= 0 ? 1 : -1;
        double Inside(double x, double y)
        {
            var inside = double.MaxValue;
            for (var i = 0; i < corners.Count; i++)
            {
                var (a, b) = (corners[i], corners[(i + 1) % corners.Count]);
                var (ex, ey) = (b.X - a.X, b.Y - a.Y);
                var length = Math.Sqrt((ex * ex) + (ey * ey));
                if (length > 1e-9)
                {
                    inside = Math.Min(inside, sign * ((ex * (y - a.Y)) - (ey * (x - a.X))) / length);
                }
            }

            return inside;
        }

        Cover(corners.Min(c => c.X), corners.Min(c => c.Y), corners.Max(c => c.X), corners.Max(c => c.Y), colour, alpha, Inside, shade);
    }

    /// <summary>A Gaussian-like blur of about <paramref name="radius"/> pixels (three box passes each way, edges clamped).</summary>
    public void Blur(double radius)
    {
        var box = Math.Max(1, (int)Math.Round(radius / Math.Sqrt(3)));
        var line = new Colour[Math.Max(Width, Height)];
        for (var pass = 0; pass < 3; pass++)
        {
            for (var y = 0; y < Height; y++)
            {
                BoxLine(y * Width, 1, Width, box, line);
            }

            for (var x = 0; x < Width; x++)
            {
                BoxLine(x, Width, Height, box, line);
            }
        }
    }

    /// <summary>The picture as 8-bit RGB, row by row.</summary>
    public byte[] ToRgb24()
    {
        var bytes = new byte[pixels.Length * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            bytes[i * 3] = ToByte(pixels[i].R);
            bytes[(i * 3) + 1] = ToByte(pixels[i].G);
            bytes[(i * 3) + 2] = ToByte(pixels[i].B);
        }

        return bytes;
    }

    /// <summary>The picture as a baseline JPEG of the given quality.</summary>
    public byte[] ToJpeg(int quality)
    {
        using var image = Image.LoadPixelData<Rgb24>(ToRgb24(), Width, Height);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = quality });
        return stream.ToArray();
    }

    private static byte ToByte(float value) => (byte)Math.Clamp((int)MathF.Round(value * 255), 0, 255);

    // Paints the pixels of a box whose coverage (distance inside the shape's edge, from `inside`) is positive, with
    // a one-pixel ramp across the edge for antialiasing.
    private void Cover(double left, double top, double right, double bottom, Colour colour, double alpha, Func<double, double, double> inside, Func<double, double, double, Colour>? shade = null)
    {
        var (x0, x1) = (Math.Max(0, (int)Math.Floor(left - 1)), Math.Min(Width - 1, (int)Math.Ceiling(right + 1)));
        var (y0, y1) = (Math.Max(0, (int)Math.Floor(top - 1)), Math.Min(Height - 1, (int)Math.Ceiling(bottom + 1)));
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var (px, py) = (x + 0.5, y + 0.5);
                var depth = inside(px, py);
                var coverage = Math.Clamp(depth + 0.5, 0, 1);
                if (coverage > 0)
                {
                    Blend(x, y, shade is null ? colour : shade(px, py, depth), alpha * coverage);
                }
            }
        }
    }

    private void BoxLine(int start, int step, int count, int box, Colour[] line)
    {
        for (var i = 0; i < count; i++)
        {
            line[i] = pixels[start + (i * step)];
        }

        var sum = line[0] * (box + 1);
        for (var i = 1; i <= box; i++)
        {
            sum += line[Math.Min(i, count - 1)];
        }

        var scale = 1.0 / ((2 * box) + 1);
        for (var i = 0; i < count; i++)
        {
            pixels[start + (i * step)] = sum * scale;
            sum += line[Math.Min(i + box + 1, count - 1)] - line[Math.Max(i - box, 0)];
        }
    }
}
