using System.Text.Json;
using Rotoscope.Core.Styles;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Cli.Tests;

[Trait("Category", "Integration")]
public sealed class StylesCommandTests : IDisposable
{
    private readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Styles_ListsBuiltInCatalogWithHashes_WhenJsonRequested()
    {
        var outcome = await cli.RunAsync("styles", "--json");

        Assert.Equal(0, outcome.ExitCode);
        var styles = JsonDocument.Parse(outcome.Out).RootElement.EnumerateArray().ToList();
        Assert.True(styles.Count >= 5, $"only {styles.Count} styles");
        Assert.Contains(styles, s => s.GetProperty("kind").GetString() == "neural");
        foreach (var style in styles)
        {
            var file = style.GetProperty("file").GetString()!;
            Assert.True(File.Exists(file), file);
            Assert.Equal(style.GetProperty("sha256").GetString(), Rotoscope.Core.Styles.StyleCatalog.HashFile(file));
        }
    }

    [Fact]
    public async Task Styles_PrintsTable_WhenRunPlain()
    {
        var outcome = await cli.RunAsync("styles");

        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("toon", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("mosaic", outcome.Out, StringComparison.Ordinal);
        Assert.Contains("Pencil Sketch", outcome.Out, StringComparison.Ordinal);
        // Not on a terminal (a log, a pipe), each style is one whole line: nothing wrapped at 80 columns.
        var styles = JsonDocument.Parse((await cli.RunAsync("styles", "--json")).Out).RootElement.EnumerateArray().ToList();
        var rows = outcome.Out.Split('\n').Where(l => l.StartsWith("│ ", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.Equal(styles.Count, rows.Count);
        foreach (var (style, row) in styles.Zip(rows))
        {
            Assert.Equal(style.GetProperty("id").GetString(), row.Split('│')[1].Trim());
            Assert.Contains(style.GetProperty("description").GetString()!, row, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Gallery_ShowsTheFrameThenEachStyleStyled_WithTheNeuralStyleImageInItsCorner()
    {
        var frame = cli.PathOf("frame.png");
        Cli.Ffmpeg("ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=480x270", "-frames:v", "1", "-y", frame]);
        var sheet = cli.PathOf("gallery.jpg");

        var outcome = await cli.RunAsync("styles", "--gallery", sheet, "--frame", frame, "--only", "toon", "mosaic");

        Assert.True(outcome.ExitCode == 0, outcome.Error);
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(sheet);
        var tileHeight = StyleGallery.TileWidth * 270 / 480;
        Assert.Equal(10 + (3 * (StyleGallery.TileWidth + 10)), image.Width);
        var original = Tile(image, 0, tileHeight);
        var toon = Tile(image, 1, tileHeight);
        var mosaic = Tile(image, 2, tileHeight);
        Assert.True(MeanDifference(original, toon) > 5, "toon left the frame as it was");
        Assert.True(MeanDifference(original, mosaic) > 5, "mosaic left the frame as it was");

        // The style image sits in the mosaic tile's top-right corner, 84 pixels wide; the toon tile has none.
        using var style = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Cli.RepoPath("models", "mosaic", "style.jpg"));
        style.Mutate(i => i.Resize(84, 0));
        double Inset(int tile)
        {
            var (left, top) = (10 + (tile * (StyleGallery.TileWidth + 10)) + StyleGallery.TileWidth - 84 - 4, 10 + 4);
            var total = 0.0;
            for (var y = 0; y < style.Height; y++)
            {
                for (var x = 0; x < style.Width; x++)
                {
                    var (a, b) = (image[left + x, top + y], style[x, y]);
                    total += Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
                }
            }

            return total / (3.0 * style.Width * style.Height);
        }

        Assert.InRange(Inset(2), 0, 12);
        Assert.True(Inset(1) > 30, $"the toon tile's corner looks like the style image ({Inset(1):0.#})");
        Assert.False(Directory.EnumerateFiles(cli.Root, "*.partial").Any());
    }

    [Fact]
    public async Task Gallery_FailsWithOneLine_WhenAStyleIsUnknownOrTheFrameIsNotAnImage()
    {
        var notImage = cli.PathOf("frame.jpg");
        await File.WriteAllTextAsync(notImage, "text");

        var unknown = await cli.RunAsync("styles", "--gallery", cli.PathOf("g.jpg"), "--only", "toom");
        var broken = await cli.RunAsync("styles", "--gallery", cli.PathOf("g.jpg"), "--frame", notImage);

        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("rotoscope: unknown style 'toom'; did you mean toon? ('rotoscope styles' lists them all)", unknown.Error.Trim());
        Assert.Equal(1, broken.ExitCode);
        Assert.Equal($"rotoscope: the frame {notImage} is not a JPEG or PNG image", broken.Error.Trim());
        Assert.False(File.Exists(cli.PathOf("g.jpg")));
    }

    private static byte[] Tile(SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> sheet, int index, int height)
    {
        var pixels = new List<byte>();
        var left = 10 + (index * (StyleGallery.TileWidth + 10));
        for (var y = 10 + (height / 2); y < 10 + height; y++)
        {
            for (var x = left; x < left + (StyleGallery.TileWidth / 2); x++)
            {
                var p = sheet[x, y];
                pixels.AddRange([p.R, p.G, p.B]);
            }
        }

        return [.. pixels];
    }

    private static double MeanDifference(byte[] a, byte[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
}
