using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rotoscope.Core.Styles;

/// <summary>A style to add to the user catalog: its files (copied in) and the record of how it was made.</summary>
/// <param name="ModelFile">The .onnx model to copy in.</param>
/// <param name="PreviewFile">A JPEG preview to copy in, if any.</param>
/// <param name="StyleImage">The style image to keep beside the model, if any.</param>
/// <param name="Made">How it was made (trainer, settings, times): stored as given.</param>
public sealed record NewUserStyle(
    string Id, string Title, string Description, string ModelFile, string? PreviewFile, string? StyleImage, string License, JsonObject Made);

/// <summary>
/// The user's own styles in the data store: <c>styles/catalog.json</c> (the built-in catalog's format) and one folder
/// per style version, <c>styles/ID/VERSION/</c>, so every machine that shares the store renders them.
/// </summary>
public sealed class UserStyles(string dataDirectory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The user catalog's folder in a data store.</summary>
    public static string DirectoryOf(string dataDirectory) => Path.Combine(dataDirectory, "styles");

    /// <summary>This store's user catalog folder.</summary>
    public string Directory { get; } = DirectoryOf(dataDirectory);

    /// <summary>
    /// Copies the style's files in and adds it to the catalog as the next major version of its id (1.0.0 first); the
    /// catalog is replaced in one rename, after the files are in place, so a reader never sees an entry without its model.
    /// </summary>
    public StyleModel Add(NewUserStyle style)
    {
        ArgumentNullException.ThrowIfNull(style);
        System.IO.Directory.CreateDirectory(Directory);
        using var guard = Lock();
        var catalogPath = Path.Combine(Directory, "catalog.json");
        var catalog = File.Exists(catalogPath)
            ? JsonNode.Parse(File.ReadAllText(catalogPath))?.AsObject() ?? throw new RotoscopeException($"user style catalog {catalogPath} is empty")
            : new JsonObject { ["version"] = 1, ["styles"] = new JsonArray() };
        var entries = catalog["styles"]?.AsArray() ?? throw new RotoscopeException($"user style catalog {catalogPath} has no styles list");
        var major = entries
            .Where(e => (string?)e?["id"] == style.Id)
            .Select(e => int.TryParse(((string?)e?["version"])?.Split('.')[0], out var v) ? v : 0)
            .DefaultIfEmpty(0)
            .Max() + 1;
        var version = $"{major}.0.0";
        var folder = $"{style.Id}/{version}";
        var target = Path.Combine(Directory, style.Id, version);
        System.IO.Directory.CreateDirectory(target);

        File.Copy(style.ModelFile, Path.Combine(target, "model.onnx"), overwrite: true);
        var sha256 = StyleCatalog.HashFile(Path.Combine(target, "model.onnx"));
        string? preview = null;
        if (style.PreviewFile is not null)
        {
            File.Copy(style.PreviewFile, Path.Combine(target, "preview.jpg"), overwrite: true);
            preview = $"{folder}/preview.jpg";
        }

        var made = (JsonObject)style.Made.DeepClone();
        if (style.StyleImage is not null)
        {
            var name = "style" + Path.GetExtension(style.StyleImage).ToLowerInvariant();
            File.Copy(style.StyleImage, Path.Combine(target, name), overwrite: true);
            made["styleImage"] = $"{folder}/{name}";
        }

        entries.Add(new JsonObject
        {
            ["id"] = style.Id,
            ["version"] = version,
            ["title"] = style.Title,
            ["description"] = style.Description,
            ["kind"] = "neural",
            ["file"] = $"{folder}/model.onnx",
            ["sha256"] = sha256,
            ["preview"] = preview,
            ["license"] = style.License,
            ["made"] = made,
        });
        var partial = catalogPath + ".partial";
        File.WriteAllText(partial, catalog.ToJsonString(Json) + "\n");
        File.Move(partial, catalogPath, overwrite: true);
        return new StyleModel(
            style.Id, version, style.Title, style.Description, StyleKind.Neural, Path.Combine(target, "model.onnx"), sha256,
            preview is null ? null : Path.Combine(Directory, preview), style.License, StyleOrigin.User);
    }

    // One writer at a time (two trainings finishing together on machines that share the store).
    private FileStream Lock()
    {
        var path = Path.Combine(Directory, ".lock");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 100)
            {
                Thread.Sleep(100);
            }
        }
    }
}
