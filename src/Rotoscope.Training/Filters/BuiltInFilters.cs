using System.Text.Json;
using System.Text.Json.Nodes;
using Rotoscope.Core;
using Rotoscope.Core.Imaging;
using Rotoscope.Core.Inference;
using Rotoscope.Core.Styles;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Rotoscope.Training.Filters;

/// <summary>A filter style shipped in <c>models/</c>: its catalog id and text, and the filter with all its settings.</summary>
public sealed record BuiltInFilter(string Id, string Title, string Description, Filter Filter);

/// <summary>What <see cref="BuiltInFilters.Write"/> wrote for one filter.</summary>
public sealed record WrittenFilter(string Id, string ModelPath, string Sha256, bool Changed);

/// <summary>
/// The filter styles in <c>models/</c> and how they are rebuilt: <c>model.onnx</c> (byte-identical for the same
/// settings), <c>preview.jpg</c> (rendered through ONNX Runtime) and their <c>catalog.json</c> entries.
/// </summary>
public static class BuiltInFilters
{
    /// <summary>The photograph every filter preview is made from: a 16:9 centre crop of it, 256x144.</summary>
    public const string PreviewPhoto = "content/coffee.jpg";

    private const int PreviewWidth = 256;
    private const int PreviewHeight = 144;

    public static IReadOnlyList<BuiltInFilter> All { get; } =
    [
        new("toon", "Toon", "Cel shading: flat colour bands with dark outlines.",
            new Toon(Levels: 6, Sigma: 1.5, Saturation: 1.25, EdgeLow: 28, EdgeHigh: 70, EdgeStrength: 0.9)),
        new("ink", "Ink", "Black ink lines (difference of Gaussians + Sobel) on paper white.",
            new InkLines(Sigma: 1.2, K: 1.6, DogLow: 3, DogHigh: 8, SobelLow: 60, SobelHigh: 140, Paper: new(250, 246, 236), Ink: new(18, 18, 28))),
        new("posterize", "Posterize", "Smoothed poster colours with four levels per channel.",
            new Posterize(Levels: 4, Sigma: 1.2, Saturation: 1.3, Contrast: 1.1)),
        new("sketch", "Pencil Sketch", "Grayscale pencil sketch: colour-dodge of the blurred inverse on paper.",
            new Sketch(Sigma: 5, PreSigma: 0.8, Gamma: 1.8, Tint: new(1, 0.985f, 0.95f))),
        new("halftone", "Halftone", "CMY colour halftone dots on rotated screens, like cheap print.",
            new Halftone(Period: 6, CyanAngle: 15, MagentaAngle: 75, YellowAngle: 0, Sigma: 1.5, Sharpness: 3)),
        new("duotone", "Duotone", "Two-ink print: shadows in deep indigo, highlights in warm peach.",
            new Duotone(Sigma: 0.8, Dark: new(28, 24, 90), Light: new(255, 196, 120))),
    ];

    /// <summary>The filter with this id.</summary>
    public static BuiltInFilter Get(string id) =>
        All.FirstOrDefault(f => f.Id == id)
        ?? throw new RotoscopeException($"no built-in filter '{id}' (filters: {string.Join(", ", All.Select(f => f.Id))})");

    /// <summary>
    /// Writes <c>ID/model.onnx</c> and <c>ID/preview.jpg</c> for each filter into <paramref name="modelsDirectory"/> and
    /// records each model's SHA-256 and settings in its <c>catalog.json</c>, leaving the other styles' entries as they are.
    /// </summary>
    public static IReadOnlyList<WrittenFilter> Write(string modelsDirectory, IReadOnlyList<BuiltInFilter> filters)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelsDirectory);
        ArgumentNullException.ThrowIfNull(filters);
        var catalog = ModelsCatalog.Open(modelsDirectory);
        var written = new List<WrittenFilter>();
        foreach (var filter in filters)
        {
            var folder = Path.Combine(modelsDirectory, filter.Id);
            Directory.CreateDirectory(folder);
            var modelPath = Path.Combine(folder, "model.onnx");
            var bytes = filter.Filter.ToOnnx(filter.Id);
            var changed = !File.Exists(modelPath) || !File.ReadAllBytes(modelPath).AsSpan().SequenceEqual(bytes);
            if (changed)
            {
                File.WriteAllBytes(modelPath, bytes);
            }

            File.WriteAllBytes(Path.Combine(folder, "preview.jpg"), Preview(modelPath, Path.Combine(modelsDirectory, PreviewPhoto)));
            var sha256 = StyleCatalog.HashFile(modelPath);
            Record(catalog, filter, sha256);
            written.Add(new WrittenFilter(filter.Id, modelPath, sha256, changed));
        }

        catalog.Save();
        return written;
    }

    /// <summary>A 256x144 JPEG: the photo's left half as it is, its right half through the model, a white line between.</summary>
    public static byte[] Preview(string modelPath, string photoPath)
    {
        using var photo = Image.Load<Rgb24>(photoPath);
        var cropHeight = Math.Min(photo.Height, photo.Width * PreviewHeight / PreviewWidth);
        var cropWidth = cropHeight * PreviewWidth / PreviewHeight;
        photo.Mutate(x => x
            .Crop(new Rectangle((photo.Width - cropWidth) / 2, (photo.Height - cropHeight) / 2, cropWidth, cropHeight))
            .Resize(PreviewWidth, PreviewHeight, KnownResamplers.Lanczos3));
        var original = new byte[PreviewWidth * PreviewHeight * 3];
        photo.CopyPixelDataTo(original);

        var planar = new float[original.Length];
        var styledPlanar = new float[original.Length];
        PixelLayout.HwcToPlanar(original, PreviewWidth, PreviewHeight, planar, PreviewWidth, PreviewHeight);
        using (var session = OnnxStyleSession.Open(modelPath, new InferenceOptions()))
        {
            session.Run(planar, styledPlanar, 1, PreviewHeight, PreviewWidth);
        }

        var styled = new byte[original.Length];
        PixelLayout.PlanarToHwc(styledPlanar, PreviewWidth, PreviewHeight, styled, PreviewWidth, PreviewHeight);
        const int rowBytes = PreviewWidth * 3;
        const int half = PreviewWidth / 2;
        for (var y = 0; y < PreviewHeight; y++)
        {
            var row = y * rowBytes;
            styled.AsSpan(row + half * 3, half * 3).CopyTo(original.AsSpan(row + half * 3));
            original.AsSpan(row + (half - 1) * 3, 6).Fill(255);
        }

        using var codec = new ImageCodec(jpegQuality: 90);
        return codec.Encode(original, PreviewWidth, PreviewHeight, ImageFormat.Jpeg);
    }

    private static void Record(ModelsCatalog catalog, BuiltInFilter filter, string sha256)
    {
        var made = new JsonObject
        {
            ["builder"] = "rotoscope models build-filters (src/Rotoscope.Training/Filters)",
            ["filter"] = filter.Filter.GetType().Name,
            ["styleImage"] = null,
            ["settings"] = JsonSerializer.SerializeToNode(filter.Filter, filter.Filter.GetType(), ModelsCatalog.SettingsJson),
        };
        if (catalog.Find(filter.Id) is { } entry)
        {
            entry["title"] = filter.Title;
            entry["description"] = filter.Description;
            entry["sha256"] = sha256;
            entry["made"] = made;
            return;
        }

        catalog.Put(new JsonObject
        {
            ["id"] = filter.Id, ["version"] = "1.0.0", ["title"] = filter.Title, ["description"] = filter.Description, ["kind"] = "filter",
            ["file"] = $"{filter.Id}/model.onnx", ["sha256"] = sha256, ["preview"] = $"{filter.Id}/preview.jpg", ["license"] = "MIT", ["made"] = made,
        });
    }
}
