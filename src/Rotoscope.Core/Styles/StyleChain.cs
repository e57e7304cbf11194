using System.Security.Cryptography;
using System.Text;

namespace Rotoscope.Core.Styles;

/// <summary>The styles a render applies, in order (<c>mosaic|ink</c> runs mosaic, then ink on its output).</summary>
public sealed record StyleChain(IReadOnlyList<StyleModel> Models)
{
    /// <summary>A short hash of the exact models (ids, versions and file hashes) in order: names styled-frame folders.</summary>
    public string Hash
    {
        get
        {
            var text = string.Join('|', Models.Select(m => $"{m.Id}@{m.Version}#{m.Sha256}"));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <summary>The chain as the user would type it, e.g. <c>mosaic|ink</c>.</summary>
    public string Name => string.Join('|', Models.Select(m => m.Id));
}
