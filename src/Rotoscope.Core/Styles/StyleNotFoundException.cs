namespace Rotoscope.Core.Styles;

/// <summary>Thrown when a style reference names nothing in the catalog; the message lists near matches.</summary>
public sealed class StyleNotFoundException(string reference, IReadOnlyList<string> nearMatches)
    : Exception(nearMatches.Count > 0
        ? $"unknown style '{reference}'; did you mean {string.Join(", ", nearMatches)}? ('rotoscope styles' lists them all)"
        : $"unknown style '{reference}' ('rotoscope styles' lists them all)")
{
    /// <summary>What the user asked for.</summary>
    public string Reference { get; } = reference;

    /// <summary>Catalog ids close to <see cref="Reference"/>, closest first.</summary>
    public IReadOnlyList<string> NearMatches { get; } = nearMatches;
}
