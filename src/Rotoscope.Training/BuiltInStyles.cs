using System.Text.Json;
using System.Text.Json.Nodes;
using Rotoscope.Core;
using Rotoscope.Core.Styles;
using Rotoscope.Training.Filters;
using Rotoscope.Training.StyleImages;

namespace Rotoscope.Training;

/// <summary>A neural style shipped in models/: trained by <see cref="StyleTrainer"/> from <c>models/ID/style.jpg</c>.</summary>
/// <param name="Version">Raised whenever the recipe or the style image changes what the model draws.</param>
/// <param name="StyleImageSource">Where the style image comes from and under what licence.</param>
/// <param name="License">The catalog entry's licence: a model learnt from someone's picture carries that picture's terms.</param>
public sealed record BuiltInStyle(string Id, string Version, string Title, string Description, string StyleImageSource, TrainingSettings Settings, string License = "MIT (the style image is drawn by the project's code)");

/// <summary>What <see cref="BuiltInStyles.Train"/> wrote for one style.</summary>
public sealed record TrainedBuiltIn(string Id, string ModelPath, string Sha256, double TrainingSeconds);

/// <summary>
/// The neural styles of models/ and how each is made: <c>rotoscope models build-styles</c> trains them with the same
/// trainer users have (<c>rotoscope train</c>), on the photos in models/content, and records model, preview and
/// catalog entry. On the CPU the result is the same bytes for the same settings and images.
/// </summary>
public static class BuiltInStyles
{
    private const string Mate = "mate-backgrounds 1.26.0-1";
    private const string Plasma = "plasma-workspace-wallpapers 4:5.27.5-2";
    private const string Skimage = "python3-skimage 0.19.3-8";

    /// <summary>
    /// Every neural built-in style, in catalog order. A style is in the catalog once <c>models build-styles</c> has
    /// trained it; until then its record and style image wait here (<see cref="IsBuilt"/>), which nothing else reads.
    /// </summary>
    public static IReadOnlyList<BuiltInStyle> All { get; } =
    [
        new("mosaic", "3.0.0", "Mosaic", "Stained glass: saturated colour cells with dark lead lines around the shapes.",
            "procedural (a Voronoi stained-glass image drawn by the project's code), MIT", new TrainingSettings()),
        new("brush", "3.0.0", "Brush", "Painterly: short warm and cool brush strokes over flattened colour.",
            "procedural (oriented brush strokes drawn by the project's code), MIT", new TrainingSettings()),

        // Painterly strokes.
        // At the defaults the picture came out pale grey-blue (the cream ground dominates the style image); style weight
        // 0.5 keeps it readable, still pale.
        Drawn("pointillism", "Pointillism", "Pale pointillism: the picture in fine dots of pastel green, blue and ochre, softly washed out.", new TrainingSettings(StyleWeight: 0.5)),
        Drawn("impasto", "Impasto", "Thick palette-knife daubs of teal, amber and rose: the picture rebuilt from short ridged strokes."),
        Drawn("swirls", "Swirling Night", "Everything in blues: short curving strokes of deep and pale blue, after Van Gogh's night skies."),
        Debian("elephants", "Blue Painting", "A soft, pale wash of blue and grey-green over the picture, with faint brush texture.",
            "acrylic painting \"Elephants\" by Wyng Stancikaite (2020), GPL-2+", Mate, "/usr/share/backgrounds/mate/abstract/Elephants.jpg"),
        Debian("autumn", "Autumn", "A faded peach and orange haze over the picture, like a sun-bleached old print.",
            "digital painting \"Autumn\" by RJ Quiralta, LGPLv3 (its metadata.json; debian/copyright: GPL-2+, KDE Visual Design Group)", Plasma, "/usr/share/wallpapers/Autumn/contents/images/2560x1600.jpg",
            new TrainingSettings(StyleWeight: 0.5)), // at the defaults a peach wash that hid the picture; at 0.5 readable, still hazy

        // Washes, ink and line art.
        Drawn("watercolour", "Watercolour", "Pale pastel washes on grainy paper: soft pinks and greens, the picture drawn in faded colour."),
        Drawn("sumi-e", "Sumi-e", "Minimal ink on rice paper: soft grey washes, with dark strokes only on the strongest lines."),
        // At the defaults grey hatching covered the picture, drawn only faintly; content weight 2 keeps it readable.
        Drawn("crosshatch", "Crosshatch", "Fine sepia cross-hatching laid over a muted picture, like a pen-and-ink engraving.", new TrainingSettings(ContentWeight: 2.0)),
        Drawn("woodcut", "Woodcut", "Wavy engraved lines in muted brown and grey carved through the picture, like a line-cut print."),
        Debian("ribbons", "Monochrome Ribbons", "Grey monochrome: the picture softened into smooth satin bands of light and shadow.",
            "photograph \"Grey\" by Sigi Sagi, LGPLv3 (its metadata.json; debian/copyright: GPL-2+, KDE Visual Design Group)", Plasma, "/usr/share/wallpapers/Grey/contents/images/2560x1600.jpg"),

        // Flat colour and geometry.
        Drawn("pop-art", "Pop Art", "Psychedelic pop: hot pink, lime green and electric blue, with dark outlines around every shape."),
        // From a mostly white grid of large blocks, a pale cream wash at style weight 1 and 0.3 alike: now drawn dense.
        Drawn("mondrian", "Mondrian", "Slate grey and violet, the picture's warm parts in yellow and red, all drawn in straight horizontal and vertical strokes."),
        Drawn("cubist", "Cubist", "Muted ochre, olive and grey-blue: the picture flattened into soft angular facets with dark edges."),
        Drawn("op-art", "Op Art", "Wavy stripes of pastel pink, teal and cream running through the picture, its outlines drawn in rose."),
        Drawn("tesserae", "Roman Mosaic", "The picture set in small square tiles of soft ochre, slate and cream, with thin grout lines between them."),
        Debian("cups", "Colour Cups", "Dreamy pastel: the picture in soft lavender, pink and cyan with smooth, glossy shading.",
            "photograph \"Colorful Cups\" by Dmitri Popov, LGPLv3 (its metadata.json; debian/copyright: GPL-2+, KDE Visual Design Group)", Plasma, "/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg"),
        Debian("folds", "Violet Folds", "Everything in violet and electric blue: smooth faceted planes with faint bright edges.",
            "digital artwork \"Shell\" by Lucas Andrade, CC-BY-SA-4.0 (its metadata.json; debian/copyright: GPL-2+, KDE Visual Design Group)", Plasma, "/usr/share/wallpapers/Shell/contents/images/5120x2880.jpg"),

        // Light on black.
        Drawn("neon", "Neon", "Glowing magenta, green and yellow light tracing the edges on a dark ground."),
        Drawn("fire", "Fire", "A fire's glow: the picture in orange, amber and deep red, with a few bright sparks."),
        // At the defaults near black, the picture barely there; content weight 3 keeps it, dimly lit.
        Debian("deep-field", "Deep Field", "Night: the picture dimmed almost to black, its colours faint, dusted with fine specks of starlight.",
            "Hubble eXtreme Deep Field photograph, NASA, public domain (as skimage/data/_fetchers.py states)", Skimage, "/usr/lib/python3/dist-packages/skimage/data/hubble_deep_field.jpg",
            new TrainingSettings(ContentWeight: 3.0)),

        // Textures.
        Drawn("caustics", "Caustics", "Deep teal water: the picture drawn by a rippling network of bright caustic lines."),
        Drawn("marble", "Marble", "Polished white stone: the picture drawn in grey and golden veins."),
        Drawn("dunes", "Dunes", "Warm sand: the picture pressed into wind ripples, its outlines faint."),
        // At style weight 2 near white, the picture barely there; content weight 3 keeps it, in relief.
        Drawn("paper", "Handmade Paper", "Embossed paper: the picture pressed faintly into pale cream pulp, a bright relief of fine ridges.", new TrainingSettings(ContentWeight: 3.0)),
        Debian("gravel", "Gravel", "Grey pebbles: the picture rebuilt from small lit and shaded stones.",
            "photograph of gravel from CC0Textures (Gravel04), CC0 (as skimage/data/_fetchers.py states)", Skimage, "/usr/lib/python3/dist-packages/skimage/data/gravel.png"),
        Debian("moss", "Moss", "Dark green moss: the picture drawn in bright needle-like sprigs over near-black.",
            "photograph \"One Stands Out\" by Risto Saukonpää, LGPLv3 (its metadata.json; debian/copyright: GPL-2+, KDE Visual Design Group)", Plasma, "/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg"),
        Debian("petals", "Petals", "Everything in glowing orange and red, in soft, smooth gradients.",
            "photograph \"FreshFlower\" by Jens Ansorg (2005), GPL-2+", Mate, "/usr/share/backgrounds/mate/nature/FreshFlower.jpg"),
        Debian("retina", "Red Veins", "Flat orange-red: the picture traced only by thin dark-red lines, like veins.",
            "fundus photograph by Mikael Häggström, CC0 (as skimage/data/_fetchers.py states)", Skimage, "/usr/lib/python3/dist-packages/skimage/data/retina.jpg"),
    ];

    /// <summary>
    /// Whether <paramref name="style"/> is trained: <c>catalog.json</c> in <paramref name="modelsDirectory"/> lists it at
    /// its version and its model file is there. Without a catalog.json, one line says so.
    /// </summary>
    public static bool IsBuilt(string modelsDirectory, BuiltInStyle style)
    {
        ArgumentNullException.ThrowIfNull(style);
        var entry = ModelsCatalog.Open(modelsDirectory).Find(style.Id);
        return (string?)entry?["version"] == style.Version && entry?["file"] is JsonValue file && File.Exists(Path.Combine(modelsDirectory, (string)file!));
    }

    // A style whose image our own code draws (StyleImages/, `models draw-styles`).
    private static BuiltInStyle Drawn(string id, string title, string description, TrainingSettings? settings = null) =>
        new(id, "1.0.0", title, description, ProceduralStyleImages.Get(id).Source, settings ?? new TrainingSettings());

    // A style whose image is a picture from a Debian 12 package, cropped and scaled by scripts/debian-style-images.sh.
    private static BuiltInStyle Debian(string id, string title, string description, string work, string package, string file, TrainingSettings? settings = null) =>
        new(id, "1.0.0", title, description, $"{work}; Debian package {package}, {file}, a square crop scaled to 512 px by scripts/debian-style-images.sh", settings ?? new TrainingSettings(), $"style image: {work}");

    /// <summary>The built-in style <paramref name="id"/>, or one line naming the ones there are.</summary>
    public static BuiltInStyle Get(string id) =>
        All.FirstOrDefault(s => s.Id == id)
        ?? throw new RotoscopeException($"no built-in neural style '{id}' (styles: {string.Join(", ", All.Select(s => s.Id))})");

    /// <summary>
    /// Trains <paramref name="style"/> from <c>models/ID/style.jpg</c> (resuming an interrupted run kept in
    /// <paramref name="workDirectory"/>), then writes its model and preview into models/ID and its catalog entry.
    /// </summary>
    public static TrainedBuiltIn Train(string modelsDirectory, BuiltInStyle style, string resNet18, string workDirectory, int threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(style);
        ModelsCatalog.CheckIn(modelsDirectory); // before minutes of training, not after
        var folder = Path.Combine(modelsDirectory, style.Id);
        var job = new TrainingJob(Path.Combine(folder, "style.jpg"), Path.Combine(modelsDirectory, "content"), Path.Combine(workDirectory, style.Id, style.Version), resNet18, style.Settings)
        {
            Threads = threads,
            CheckpointInterval = TimeSpan.FromMinutes(3),
        };
        StyleTrainer.CheckStyleImage(job.StyleImage, job.StyleImage);
        var outcome = new StyleTrainer(job).Run(progress, cancellationToken);

        var modelPath = Path.Combine(folder, "model.onnx");
        File.Copy(outcome.ModelPath, modelPath, overwrite: true);
        File.WriteAllBytes(Path.Combine(folder, "preview.jpg"), BuiltInFilters.Preview(modelPath, Path.Combine(modelsDirectory, BuiltInFilters.PreviewPhoto)));
        var sha256 = StyleCatalog.HashFile(modelPath);

        var catalog = ModelsCatalog.Open(modelsDirectory);
        catalog.Put(new JsonObject
        {
            ["id"] = style.Id,
            ["version"] = style.Version,
            ["title"] = style.Title,
            ["description"] = style.Description,
            ["kind"] = "neural",
            ["file"] = $"{style.Id}/model.onnx",
            ["sha256"] = sha256,
            ["preview"] = $"{style.Id}/preview.jpg",
            ["license"] = style.License,
            ["made"] = new JsonObject
            {
                ["builder"] = "rotoscope models build-styles (src/Rotoscope.Training/BuiltInStyles.cs)",
                ["trainer"] = $"rotoscope train (TorchSharp {LibTorch.TorchSharpVersion}, ResNet18 perceptual loss)",
                ["styleImage"] = $"{style.Id}/style.jpg",
                ["styleImageSource"] = style.StyleImageSource,
                ["content"] = "content/ (see content/SOURCES.md)",
                ["settings"] = JsonSerializer.SerializeToNode(style.Settings, ModelsCatalog.SettingsJson),
                ["finalLoss"] = outcome.Losses.Count > 0 ? Math.Round(outcome.Losses[^1], 5) : null,
                ["trainingSeconds"] = Math.Round(outcome.TrainingSeconds, 1),
            },
        });
        catalog.Save();
        return new TrainedBuiltIn(style.Id, modelPath, sha256, outcome.TrainingSeconds);
    }
}
