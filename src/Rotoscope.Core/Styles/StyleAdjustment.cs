using System.Globalization;
using System.Text.Json.Serialization;

namespace Rotoscope.Core.Styles;

/// <summary>
/// How much of a chain's style reaches the output: <see cref="Strength"/> blends the styled frame with the original
/// (1: all style, 0: the original), and <see cref="KeepColors"/> keeps the original's colours, taking only the styled
/// luma (BT.601, as the built-in filters use).
/// </summary>
public sealed record StyleAdjustment(double Strength = 1, bool KeepColors = false)
{
    private const float RedLuma = 0.299f;
    private const float GreenLuma = 0.587f;
    private const float BlueLuma = 0.114f;

    /// <summary>The style as it comes: no blend, the style's own colours.</summary>
    public static readonly StyleAdjustment None = new();

    /// <summary>From 0 (the original frame) to 1 (all style); an adjustment with any other value cannot be made.</summary>
    /// <remarks>Adding 0.0 turns -0 into 0, so one strength has one <see cref="Key"/>.</remarks>
    public double Strength { get; } = IsValidStrength(Strength) ? Strength + 0.0 : throw new ArgumentOutOfRangeException(nameof(Strength), Strength, "strength must be a number from 0 to 1");

    /// <summary>True when the output is the chain's output as it is.</summary>
    [JsonIgnore]
    public bool IsNone => Strength == 1 && !KeepColors;

    /// <summary>How the adjustment enters hashes (styled-frame folders, render ids); invariant culture, round-trippable.</summary>
    [JsonIgnore]
    public string Key => $"strength={Strength.ToString("R", CultureInfo.InvariantCulture)}{(KeepColors ? ",keep-colors" : "")}";

    /// <summary>For people, e.g. <c>strength 0.5, original colours</c>; empty when <see cref="IsNone"/>.</summary>
    [JsonIgnore]
    public string Description => string.Join(", ", new[]
    {
        Strength == 1 ? null : $"strength {Strength.ToString(CultureInfo.InvariantCulture)}",
        KeepColors ? "original colours" : null,
    }.OfType<string>());

    /// <summary>For people: <paramref name="styles"/> followed by the <see cref="Description"/> in brackets, unless <see cref="IsNone"/>.</summary>
    public string Describe(string styles) => IsNone ? styles : $"{styles} ({Description})";

    /// <summary>Checks <paramref name="strength"/>: a number from 0 to 1.</summary>
    public static bool IsValidStrength(double strength) => strength is >= 0 and <= 1;

    /// <summary>
    /// Adjusts <paramref name="styled"/> in place against <paramref name="original"/>: both hold whole planar RGB frames
    /// (NCHW, 0..255) of <paramref name="planeLength"/> pixels a plane. Keep-colours first, then the blend.
    /// </summary>
    public void Apply(Span<float> styled, ReadOnlySpan<float> original, int planeLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planeLength);
        ArgumentOutOfRangeException.ThrowIfNotEqual(styled.Length, original.Length, nameof(styled));
        if (styled.Length % (3 * planeLength) != 0)
        {
            throw new ArgumentException($"{styled.Length} floats are not whole frames of 3 x {planeLength}", nameof(styled));
        }

        // s*styled + (1-s)*original, not original + s*(styled-original): exact at both ends (1 gives styled, 0 original).
        var strength = (float)Strength;
        var rest = 1 - strength;
        for (var frame = 0; frame < styled.Length; frame += 3 * planeLength)
        {
            var sr = styled.Slice(frame, planeLength);
            var sg = styled.Slice(frame + planeLength, planeLength);
            var sb = styled.Slice(frame + (2 * planeLength), planeLength);
            var ir = original.Slice(frame, planeLength);
            var ig = original.Slice(frame + planeLength, planeLength);
            var ib = original.Slice(frame + (2 * planeLength), planeLength);
            for (var i = 0; i < planeLength; i++)
            {
                var (r, g, b) = (sr[i], sg[i], sb[i]);
                if (KeepColors)
                {
                    // The styled luma with the original's colour: each channel is that luma plus the original's
                    // offset from its own luma (the offsets weigh to 0 in Y, so Y is exact and Cb/Cr are the
                    // original's). Where that leaves 0..255, the offsets shrink together just enough to fit: the
                    // pixel keeps its brightness and hue and loses only saturation (clamping channels one by one
                    // would shift both).
                    var luma = Luma(Math.Clamp(r, 0, 255), Math.Clamp(g, 0, 255), Math.Clamp(b, 0, 255));
                    var own = Luma(ir[i], ig[i], ib[i]);
                    var (cr, cg, cb) = (ir[i] - own, ig[i] - own, ib[i] - own);
                    var fit = MathF.Min(1, MathF.Min(Fit(luma, cr), MathF.Min(Fit(luma, cg), Fit(luma, cb))));
                    (r, g, b) = (luma + (fit * cr), luma + (fit * cg), luma + (fit * cb));
                }

                sr[i] = (strength * r) + (rest * ir[i]);
                sg[i] = (strength * g) + (rest * ig[i]);
                sb[i] = (strength * b) + (rest * ib[i]);
            }
        }
    }

    // How much of a colour offset fits around a luma before the channel leaves 0..255.
    private static float Fit(float luma, float offset) =>
        offset > 0 ? (255 - luma) / offset : offset < 0 ? luma / -offset : 1;

    /// <summary>BT.601 luma of an RGB pixel (0..255).</summary>
    public static float Luma(float red, float green, float blue) => (RedLuma * red) + (GreenLuma * green) + (BlueLuma * blue);
}
