using Rotoscope.Core;

namespace Rotoscope.Training.StyleImages;

/// <summary>
/// A style image drawn by the project's own code (<paramref name="Generator"/>.cs in this folder): the same seed
/// always gives the same picture.
/// </summary>
/// <param name="Summary">What the picture shows, for the catalog's record of where the style image comes from.</param>
public sealed record ProceduralStyleImage(string Id, int Seed, string Generator, string Summary, Action<Canvas, Random> Draw)
{
    /// <summary>The side of the square style images, in pixels (training scales the short side to 384).</summary>
    public const int Side = 512;

    /// <summary>The JPEG quality they are saved with.</summary>
    public const int Quality = 85;

    /// <summary>Where the image comes from and its licence, as the built-in style records it.</summary>
    public string Source => $"procedural ({Summary}; drawn by src/Rotoscope.Training/StyleImages/{Generator}.cs, seed {Seed}, with `rotoscope models draw-styles`), MIT";

    /// <summary>Draws the picture on a square canvas of <paramref name="side"/> pixels.</summary>
    public Canvas Render(int side = Side)
    {
        var canvas = new Canvas(side, side, Colour.White);
        Draw(canvas, new Random(Seed));
        return canvas;
    }

    /// <summary>The style image as it is kept in models/ID/style.jpg.</summary>
    public byte[] ToJpeg() => Render().ToJpeg(Quality);
}

/// <summary>What <see cref="ProceduralStyleImages.Write"/> wrote for one image.</summary>
public sealed record WrittenStyleImage(string Id, string Path, int Bytes, bool Changed);

/// <summary>
/// The style images the built-in neural styles are trained from that our own code draws: <c>rotoscope models
/// draw-styles</c> writes each to <c>models/ID/style.jpg</c>.
/// </summary>
public static class ProceduralStyleImages
{
    public static IReadOnlyList<ProceduralStyleImage> All { get; } =
    [
        new("pointillism", 3, nameof(Pointillism), "a landscape of small dots of pure colour on a cream ground", Pointillism.Draw),
        new("impasto", 5, nameof(Impasto), "thick palette-knife daubs of violet, teal, amber and red with lit ridges", Impasto.Draw),
        new("swirls", 8, nameof(Swirls), "short blue, white and yellow strokes following a field of eddies", Swirls.Draw),
        new("watercolour", 4, nameof(Watercolour), "overlapping transparent washes with darker pigment edges on grainy paper", Watercolour.Draw),
        new("sumi-e", 12, nameof(SumiE), "dry-brush ink strokes of bamboo, leaves and grey washes on rice paper, with a red seal", SumiE.Draw),
        new("crosshatch", 2, nameof(Crosshatch), "layers of sepia pen hatching by tone, with outlined spheres, on paper", Crosshatch.Draw),
        new("woodcut", 6, nameof(Woodcut), "carved black and vermilion grooves following waves and a sun, on warm paper", Woodcut.Draw),
        new("pop-art", 9, nameof(PopArt), "four panels of flat bold colour with black outlines and Ben-Day dots", PopArt.Draw),
        new("mondrian", 1, nameof(Mondrian), "small white, red, blue and yellow rectangles between black bars", Mondrian.Draw),
        new("cubist", 7, nameof(Cubist), "overlapping shaded shards in ochre, umber and grey-blue with dark edges", Cubist.Draw),
        new("op-art", 10, nameof(OpArt), "black, white, pink and turquoise stripes bent into waves and a bulge", OpArt.Draw),
        new("tesserae", 11, nameof(Tesserae), "square stone tesserae in terracotta, ochre, slate and black with grout lines", Tesserae.Draw),
        new("neon", 13, nameof(Neon), "glowing magenta, cyan, lime and amber tubes on black", Neon.Draw),
        new("fire", 14, nameof(Fire), "turbulent flames from deep red to white-hot yellow over black", Fire.Draw),
        new("caustics", 15, nameof(Caustics), "a bright network of water caustics over deep teal", Caustics.Draw),
        new("marble", 16, nameof(Marble), "white marble with grey and gold veins", Marble.Draw),
        new("dunes", 17, nameof(Dunes), "wind ripples in sand, lit from the side, with grain", Dunes.Draw),
        new("paper", 18, nameof(Paper), "handmade paper: cream pulp with light, dark and a few coloured fibres", Paper.Draw),
    ];

    /// <summary>The image with this id, or one line naming the ones there are.</summary>
    public static ProceduralStyleImage Get(string id) =>
        All.FirstOrDefault(i => i.Id == id)
        ?? throw new RotoscopeException($"no procedural style image '{id}' (images: {string.Join(", ", All.Select(i => i.Id))})");

    /// <summary>Draws each image and writes it to <c>ID/style.jpg</c> under <paramref name="modelsDirectory"/>.</summary>
    public static IReadOnlyList<WrittenStyleImage> Write(string modelsDirectory, IReadOnlyList<ProceduralStyleImage> images)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelsDirectory);
        ArgumentNullException.ThrowIfNull(images);
        ModelsCatalog.CheckIn(modelsDirectory);

        var written = new List<WrittenStyleImage>();
        foreach (var image in images)
        {
            var path = Path.Combine(modelsDirectory, image.Id, "style.jpg");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var bytes = image.ToJpeg();
            var changed = !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes);
            if (changed)
            {
                File.WriteAllBytes(path, bytes);
            }

            written.Add(new WrittenStyleImage(image.Id, path, bytes.Length, changed));
        }

        return written;
    }
}
