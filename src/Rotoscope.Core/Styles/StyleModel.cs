namespace Rotoscope.Core.Styles;

/// <summary>Whether a style is a hand-written filter graph or a trained neural network.</summary>
public enum StyleKind
{
    /// <summary>A classic image filter (toon, ink, posterize…) written as an ONNX graph.</summary>
    Filter,

    /// <summary>A feed-forward style-transfer network trained from a style image.</summary>
    Neural,
}

/// <summary>Where a style comes from: the catalog shipped with Rotoscope, or the user's catalog in the data store.</summary>
public enum StyleOrigin
{
    /// <summary>models/catalog.json beside the application.</summary>
    BuiltIn,

    /// <summary>styles/catalog.json in the data store (what <c>rotoscope train</c> adds).</summary>
    User,
}

/// <summary>One exact style model: what a render records so the same request always means the same pixels.</summary>
/// <param name="Id">Catalog id, e.g. <c>mosaic</c>; for a model given by path, the file name.</param>
/// <param name="Version">Semantic version, or <c>file</c> for a model given by path.</param>
/// <param name="ModelPath">Absolute path of the .onnx file.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the .onnx file.</param>
public sealed record StyleModel(
    string Id,
    string Version,
    string Title,
    string Description,
    StyleKind Kind,
    string ModelPath,
    string Sha256,
    string? PreviewPath = null,
    string? License = null,
    StyleOrigin Origin = StyleOrigin.BuiltIn)
{
    /// <summary><c>id@version</c>.</summary>
    public string Reference => $"{Id}@{Version}";
}
