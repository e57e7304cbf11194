using System.Security.Cryptography;
using System.Text;

namespace Rotoscope.Core.Styles;

/// <summary>
/// The styles a render applies, in order (<c>mosaic|ink</c> runs mosaic, then ink on its output), and how much of the
/// result reaches the output (<see cref="Adjustment"/>, against the original frame).
/// </summary>
public sealed record StyleChain(IReadOnlyList<StyleModel> Models)
{
    /// <summary>Strength and colours of the chain's output; <see cref="StyleAdjustment.None"/> by default.</summary>
    public StyleAdjustment Adjustment { get; init; } = StyleAdjustment.None;

    /// <summary>
    /// A short hash of the exact models (ids, versions and file hashes) in order, and of the adjustment unless it is
    /// none (so plain chains keep the hashes they always had): names styled-frame folders.
    /// </summary>
    public string Hash
    {
        get
        {
            var text = string.Join('|', Models.Select(m => $"{m.Id}@{m.Version}#{m.Sha256}"));
            if (!Adjustment.IsNone)
            {
                text += $"~{Adjustment.Key}";
            }

            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
        }
    }

    /// <summary>The chain as the user would type it, e.g. <c>mosaic|ink</c>.</summary>
    public string Name => string.Join('|', Models.Select(m => m.Id));
}
