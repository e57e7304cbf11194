namespace Rotoscope.Training.StyleImages;

/// <summary>
/// Mondrian's grid: rectangles split again and again, about half in primary colours, between black bars. Small and
/// dense on purpose: a first version with a few large, mostly white blocks trained a network that washed every picture
/// out to cream (the style loss sees the colours' averages, and white dominated them).
/// </summary>
internal static class Mondrian
{
    public static void Draw(Canvas canvas, Random random)
    {
        var noise = new Noise(random.Next());
        var bar = canvas.Width / 64.0;
        var cells = new List<(double X0, double Y0, double X1, double Y1)>();
        Split((0, 0, canvas.Width, canvas.Height), 0);

        void Split((double X0, double Y0, double X1, double Y1) r, int depth)
        {
            var (w, h) = (r.X1 - r.X0, r.Y1 - r.Y0);
            if (depth >= 7 || Math.Max(w, h) < canvas.Width / 10.0 || (depth >= 4 && random.NextDouble() < 0.2))
            {
                cells.Add(r);
                return;
            }

            var at = random.Between(0.3, 0.7);
            if (w > h * random.Between(0.7, 1.4))
            {
                Split((r.X0, r.Y0, r.X0 + (w * at), r.Y1), depth + 1);
                Split((r.X0 + (w * at), r.Y0, r.X1, r.Y1), depth + 1);
            }
            else
            {
                Split((r.X0, r.Y0, r.X1, r.Y0 + (h * at)), depth + 1);
                Split((r.X0, r.Y0 + (h * at), r.X1, r.Y1), depth + 1);
            }
        }

        string[] colours = ["#f3efe4", "#f3efe4", "#ebe6d8", "#f3efe4", "#d52b1e", "#1f3f99", "#f6c700", "#d52b1e", "#1f3f99", "#f6c700", "#151515"];
        canvas.Shade((_, _, _) => Colour.Hex("#151515"));
        foreach (var cell in cells)
        {
            var colour = Colour.Hex(random.Pick(colours));
            var (x0, y0, x1, y1) = (cell.X0 + (bar / 2), cell.Y0 + (bar / 2), cell.X1 - (bar / 2), cell.Y1 - (bar / 2));
            canvas.ConvexPolygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour);
        }

        // Brushed paint: a faint grain along the strokes.
        canvas.Shade((x, y, c) => c * (1 + (0.035 * noise.At(x / 40.0, y / 2.5))));
    }
}
