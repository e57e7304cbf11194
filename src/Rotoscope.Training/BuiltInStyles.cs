using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rotoscope.Core;
using Rotoscope.Core.Styles;
using Rotoscope.Training.Filters;

namespace Rotoscope.Training;

/// <summary>A neural style shipped in models/: trained by <see cref="StyleTrainer"/> from <c>models/ID/style.jpg</c>.</summary>
/// <param name="Version">Raised whenever the recipe or the style image changes what the model draws.</param>
/// <param name="StyleImageSource">Where the style image comes from and under what licence.</param>
public sealed record BuiltInStyle(string Id, string Version, string Title, string Description, string StyleImageSource, TrainingSettings Settings);

/// <summary>What <see cref="BuiltInStyles.Train"/> wrote for one style.</summary>
public sealed record TrainedBuiltIn(string Id, string ModelPath, string Sha256, double TrainingSeconds);

/// <summary>
/// The neural styles of models/ and how each is made: <c>rotoscope models build-styles</c> trains them with the same
/// trainer users have (<c>rotoscope train</c>), on the photos in models/content, and records model, preview and
/// catalog entry. On the CPU the result is the same bytes for the same settings and images.
/// </summary>
public static class BuiltInStyles
{
    private static readonly JsonSerializerOptions SettingsJson = new(JsonSerializerDefaults.Web);
    private static readonly JsonSerializerOptions CatalogJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every neural built-in style, in catalog order.</summary>
    public static IReadOnlyList<BuiltInStyle> All { get; } =
    [
        new("mosaic", "3.0.0", "Mosaic", "Stained glass: saturated colour cells with dark lead lines around the shapes.",
            "procedural (a Voronoi stained-glass image drawn by the project's code), MIT", new TrainingSettings()),
        new("brush", "3.0.0", "Brush", "Painterly: short warm and cool brush strokes over flattened colour.",
            "procedural (oriented brush strokes drawn by the project's code), MIT", new TrainingSettings()),
    ];

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
        var catalogPath = Path.Combine(modelsDirectory, "catalog.json");
        if (!File.Exists(catalogPath))
        {
            throw new RotoscopeException($"no catalog.json in {modelsDirectory}: point --models at the repository's models folder");
        }

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

        var catalog = JsonNode.Parse(File.ReadAllText(catalogPath))!.AsObject();
        var styles = catalog["styles"]!.AsArray();
        var entry = new JsonObject
        {
            ["id"] = style.Id,
            ["version"] = style.Version,
            ["title"] = style.Title,
            ["description"] = style.Description,
            ["kind"] = "neural",
            ["file"] = $"{style.Id}/model.onnx",
            ["sha256"] = sha256,
            ["preview"] = $"{style.Id}/preview.jpg",
            ["license"] = "MIT",
            ["made"] = new JsonObject
            {
                ["builder"] = "rotoscope models build-styles (src/Rotoscope.Training/BuiltInStyles.cs)",
                ["trainer"] = $"rotoscope train (TorchSharp {LibTorch.TorchSharpVersion}, ResNet18 perceptual loss)",
                ["styleImage"] = $"{style.Id}/style.jpg",
                ["styleImageSource"] = style.StyleImageSource,
                ["content"] = "content/ (see content/SOURCES.md)",
                ["settings"] = JsonSerializer.SerializeToNode(style.Settings, SettingsJson),
                ["finalLoss"] = outcome.Losses.Count > 0 ? Math.Round(outcome.Losses[^1], 5) : null,
                ["trainingSeconds"] = Math.Round(outcome.TrainingSeconds, 1),
            },
        };
        var existing = styles.Select((s, i) => (string?)s?["id"] == style.Id ? i : -1).FirstOrDefault(i => i >= 0, -1);
        if (existing >= 0)
        {
            styles[existing] = entry;
        }
        else
        {
            styles.Add(entry);
        }

        File.WriteAllText(catalogPath, catalog.ToJsonString(CatalogJson) + "\n");
        return new TrainedBuiltIn(style.Id, modelPath, sha256, outcome.TrainingSeconds);
    }
}
