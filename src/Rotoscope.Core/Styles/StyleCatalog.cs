using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rotoscope.Core.Styles;

/// <summary>
/// The built-in styles (<c>models/catalog.json</c>) plus the user's (<c>styles/catalog.json</c> in the data store), and
/// the resolution of style references against them.
/// </summary>
public sealed class StyleCatalog
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    private StyleCatalog(string directory, IReadOnlyList<StyleModel> styles)
    {
        Directory = directory;
        Styles = styles;
    }

    /// <summary>The folder holding catalog.json and the model folders.</summary>
    public string Directory { get; }

    /// <summary>Every style, ordered by id then version.</summary>
    public IReadOnlyList<StyleModel> Styles { get; }

    /// <summary>Loads <c>catalog.json</c> from <paramref name="directory"/>.</summary>
    public static StyleCatalog Load(string directory) => Load(directory, userDirectory: null);

    /// <summary>
    /// Loads the built-in catalog from <paramref name="directory"/> and, when it has one, the user catalog from
    /// <paramref name="userDirectory"/> (see <see cref="UserStyles"/>); a user id never shadows a built-in one.
    /// </summary>
    public static StyleCatalog Load(string directory, string? userDirectory)
    {
        var styles = Read(directory, StyleOrigin.BuiltIn);
        if (userDirectory is not null && File.Exists(Path.Combine(userDirectory, "catalog.json")))
        {
            var builtIn = styles.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            styles.AddRange(Read(userDirectory, StyleOrigin.User).Where(s => !builtIn.Contains(s.Id)));
        }

        return new StyleCatalog(
            Path.GetFullPath(directory),
            [.. styles.OrderBy(s => s.Id, StringComparer.Ordinal).ThenBy(s => ParseVersion(s.Version))]);
    }

    private static List<StyleModel> Read(string directory, StyleOrigin origin)
    {
        var path = Path.Combine(directory, "catalog.json");
        CatalogFile file;
        try
        {
            file = JsonSerializer.Deserialize<CatalogFile>(File.ReadAllText(path), JsonOptions)
                ?? throw new RotoscopeException($"style catalog {path} is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RotoscopeException($"style catalog not found at {path} (set ROTOSCOPE_MODELS to the models folder)", e);
        }
        catch (JsonException e)
        {
            throw new RotoscopeException($"style catalog {path} is not valid JSON: {e.Message}", e);
        }

        return file.Styles
            .Select(s => new StyleModel(
                s.Id, s.Version, s.Title ?? s.Id, s.Description ?? "", s.Kind,
                Path.GetFullPath(Path.Combine(directory, s.File)), s.Sha256.ToLowerInvariant(),
                s.Preview is null ? null : Path.GetFullPath(Path.Combine(directory, s.Preview)), s.License, origin))
            .ToList();
    }

    /// <summary>
    /// Resolves a style reference: <c>mosaic</c> (newest version), <c>mosaic@1.2.0</c>, a chain <c>mosaic|ink</c>, or a
    /// path / <c>file://</c> URI of an .onnx model. <paramref name="resolveDataUri"/> maps <c>data://</c> model URIs to
    /// local files.
    /// </summary>
    public StyleChain Resolve(string reference, Func<string, string>? resolveDataUri = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        var parts = reference.Split('|', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            throw new RotoscopeException($"style chain '{reference}' has an empty step");
        }

        return new StyleChain(parts.Select(p => ResolveOne(p, resolveDataUri)).ToList());
    }

    /// <summary>Checks that each model file still matches its recorded SHA-256, so a damaged file fails before a render.</summary>
    public static void Verify(StyleChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        foreach (var model in chain.Models)
        {
            if (!File.Exists(model.ModelPath))
            {
                throw new RotoscopeException($"model file for style '{model.Id}' is missing: {model.ModelPath}");
            }

            var actual = HashFile(model.ModelPath);
            if (actual != model.Sha256)
            {
                throw new RotoscopeException($"model file for style '{model.Reference}' is corrupt: {model.ModelPath} has SHA-256 {actual[..12]}…, the catalog expects {model.Sha256[..12]}…");
            }
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private StyleModel ResolveOne(string reference, Func<string, string>? resolveDataUri)
    {
        if (reference.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || reference.Contains('/', StringComparison.Ordinal))
        {
            return FromModelFile(reference, resolveDataUri);
        }

        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var id = (at < 0 ? reference : reference[..at]).ToLowerInvariant();
        var version = at < 0 ? null : reference[(at + 1)..];
        var candidates = Styles.Where(s => s.Id == id).ToList();
        if (candidates.Count == 0)
        {
            throw new StyleNotFoundException(reference, NearMatches(id));
        }

        if (version is null)
        {
            return candidates[^1];
        }

        return candidates.FirstOrDefault(s => s.Version == version)
            ?? throw new RotoscopeException($"style '{id}' has no version {version} (available: {string.Join(", ", candidates.Select(c => c.Version))})");
    }

    private static StyleModel FromModelFile(string reference, Func<string, string>? resolveDataUri)
    {
        string path;
        if (reference.StartsWith("data://", StringComparison.OrdinalIgnoreCase))
        {
            path = resolveDataUri?.Invoke(reference) ?? throw new RotoscopeException($"'{reference}': no data:// store is configured");
        }
        else if (reference.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = Path.GetFullPath(Uri.UnescapeDataString(reference["file://".Length..]));
        }
        else if (reference.Contains("://", StringComparison.Ordinal))
        {
            throw new RotoscopeException($"style model '{reference}': only paths, file:// and data:// model URIs are supported here");
        }
        else
        {
            path = Path.GetFullPath(reference);
        }

        if (!File.Exists(path))
        {
            throw new RotoscopeException($"style model not found: {reference}");
        }

        var id = Path.GetFileNameWithoutExtension(path);
        return new StyleModel(id, "file", id, $"model file {path}", StyleKind.Neural, path, HashFile(path));
    }

    private IReadOnlyList<string> NearMatches(string id) => Core.NearMatches.Of(id, Styles.Select(s => s.Id).Distinct());

    private static Version ParseVersion(string version) =>
        System.Version.TryParse(version.Split('-', '+')[0], out var parsed) ? parsed : new Version(0, 0);

    private sealed record CatalogFile(int Version, IReadOnlyList<CatalogEntry> Styles);

    private sealed record CatalogEntry(
        string Id, string Version, string? Title, string? Description, StyleKind Kind, string File, string Sha256, string? Preview, string? License);
}
